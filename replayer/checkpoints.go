package replayer

import (
	"fmt"
	"sort"
	"strings"
)

// Checkpoint is a named point of the replay the client can restart at.
type Checkpoint struct {
	ID    int
	Note  string
	Mark  Mark
	Event int64
}

// rearm puts the client's breakpoints and watchpoints back after the
// replay navigated with its own.
func (s *Session) rearm() error {
	s.armOnly(s.user)
	s.watchOff = false
	return s.armWatches()
}

// AddCheckpoint records the current point. Finding it again later is
// replaying to its mark.
func (s *Session) AddCheckpoint(note string) (Checkpoint, error) {
	p, err := s.position()
	if err != nil {
		return Checkpoint{}, err
	}
	m, err := s.markOf(p) // ends at p again
	if err == nil && m.End {
		err = s.GoTo(m)
	}
	if rerr := s.rearm(); err == nil {
		err = rerr
	}
	if err != nil {
		return Checkpoint{}, err
	}
	s.nextCheckpoint++
	c := Checkpoint{ID: s.nextCheckpoint, Note: note, Mark: m, Event: s.frame}
	s.checkpoints[c.ID] = c
	return c, nil
}

// DeleteCheckpoint forgets a checkpoint.
func (s *Session) DeleteCheckpoint(id int) error {
	if _, ok := s.checkpoints[id]; !ok {
		return fmt.Errorf("no checkpoint %d", id)
	}
	delete(s.checkpoints, id)
	return nil
}

// Checkpoints lists the checkpoints by id.
func (s *Session) Checkpoints() []Checkpoint {
	var cs []Checkpoint
	for _, c := range s.checkpoints {
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].ID < cs[j].ID })
	return cs
}

// restartAtCheckpoint goes to checkpoint "cN".
func (s *Session) restartAtCheckpoint(arg string) error {
	var id int
	if _, err := fmt.Sscanf(strings.TrimPrefix(arg, "c"), "%d", &id); err != nil {
		return fmt.Errorf("restart: %q is not a checkpoint (cN)", arg)
	}
	c, ok := s.checkpoints[id]
	if !ok {
		return fmt.Errorf("restart: no checkpoint %d (monitor info checkpoints lists them)", id)
	}
	return s.GoTo(c.Mark)
}
