package replayer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"sort"

	"golang.org/x/sys/unix"

	"rewind/checkpoint"
	"rewind/trace"
	"rewind/tracee"
)

// snap is a fork snapshot at the boundary before frame.
type snap struct {
	frame int64
	cp    *checkpoint.Snapshot
	pos   trace.Position // of the frame after the boundary
	next  *trace.Frame   // that frame, when it was already read
	// The threads of the one process then live, by recorded id, in the
	// order of cp's (the leader first); entry[i] holds the entry-stop
	// registers of one waiting at a syscall's entry (task.atEntry).
	tids   []int32
	entry  []*unix.PtraceRegs
	cur    int32
	tgidOf map[int32]int32
}

const (
	firstSnapSpacing = 64 // frames between automatic snapshots, at first
	maxSnaps         = 16 // then spacing doubles and every other one goes
	maxLocalSnaps    = 4  // snapshots kept where the client navigates
)

// maybeSnapshot takes an automatic snapshot when the last is far enough
// behind. Only at clean boundaries: no signal pending delivery (the
// injected fork would discard it), not at the end.
func (s *Session) maybeSnapshot() {
	if n := len(s.snaps); n > 0 && s.frame-s.snaps[n-1].frame < s.snapEvery {
		return
	}
	if !s.snapshotable() {
		return
	}
	err := s.snapshot()
	if errors.Is(err, checkpoint.ErrNotHere) {
		return // at a later boundary
	}
	if err != nil {
		if len(s.tasks) > 1 {
			s.warn(fmt.Sprintf("snapshot of %d threads at event %d: %v (going back in multi-threaded stretches will be slower)", len(s.tasks), s.frame, err))
			s.noThreadSnaps = true
			return
		}
		s.warn(fmt.Sprintf("snapshot at event %d: %v (going back will be slower)", s.frame, err))
		s.autoSnap = false
		return
	}
	if len(s.snaps) > maxSnaps {
		kept := s.snaps[:1]
		for i, sn := range s.snaps[1:] {
			if i%2 == 1 {
				kept = append(kept, sn)
			} else {
				sn.cp.Release()
			}
		}
		s.snaps = kept
		s.snapEvery *= 2
	}
}

// snapshotable tells whether a fork snapshot can stand for the current
// state: a clean boundary (no signal pending delivery, which the injected
// fork would discard; not at the end), every thread stopped where a copy
// can be made to stop the same way: in user mode, or at the entry of a
// syscall it waits to make (checkpoint re-enters it). Only one process:
// each process of a tree would need its own copy, and the processes'
// relations (parent, children, zombies) re-created; not built.
func (s *Session) snapshotable() bool {
	if s.sig != 0 || s.atEnd || s.done || s.held != nil || s.t == nil || len(s.tasks) == 0 {
		return false
	}
	if len(s.tasks) > 1 && s.noThreadSnaps {
		return false
	}
	tgid := s.tgidOf[s.cur]
	leader := s.tasks[tgid]
	if leader == nil {
		return false
	}
	for tid, tk := range s.tasks {
		if tk.tgid != tgid || tk.gone || tk.inKernel || tk.suspended != nil || tk.restartAs != nil {
			return false
		}
		if tid != s.cur && (tk.sig != 0 || tk.held != nil) {
			return false
		}
	}
	return true
}

// snapshot forks the live process, breakpoints taken out of its memory.
func (s *Session) snapshot() error {
	inserted := make([]uint64, 0, len(s.bps))
	for a := range s.bps {
		inserted = append(inserted, a)
	}
	for _, a := range inserted {
		s.remove(a)
	}
	protected := len(s.protectedNow) > 0
	if protected { // the copy must have the program's own protections
		if err := s.protectPages(true); err != nil {
			return err
		}
	}
	// The leader first: it is the one forked, so the copy's leader is it.
	tgid := s.tgidOf[s.cur]
	tids := []int32{tgid}
	for tid := range s.tasks {
		if tid != tgid {
			tids = append(tids, tid)
		}
	}
	sort.Slice(tids[1:], func(i, j int) bool { return tids[1+i] < tids[1+j] })
	live := make([]checkpoint.Live, len(tids))
	entry := make([]*unix.PtraceRegs, len(tids))
	for i, tid := range tids {
		tk := s.tasks[tid]
		live[i] = checkpoint.Live{P: tk.t, Entry: tk.atEntry}
		if tk.atEntry {
			r := tk.entryRegs
			entry[i] = &r
		}
	}
	cp, err := checkpoint.Take(live)
	for _, a := range inserted {
		s.insert(a)
	}
	if protected {
		s.armWatches()
	}
	if err != nil {
		return err
	}
	s.ours[cp.Pid()] = true
	s.snaps = append(s.snaps, snap{frame: s.frame, cp: cp, pos: s.r.Tell(), next: s.next, tids: tids, entry: entry, cur: s.cur, tgidOf: maps.Clone(s.tgidOf)})
	return nil
}

// keepHere snapshots the current boundary for the navigation that follows
// (reverse-stepping reaches the same frame several times), keeping the few
// most recent such snapshots.
func (s *Session) keepHere() {
	if !s.snapshotable() || !s.autoSnap {
		return
	}
	for _, sn := range append(s.snaps, s.local...) {
		if sn.frame == s.frame {
			return
		}
	}
	before := len(s.snaps)
	if err := s.snapshot(); err != nil {
		return
	}
	s.local = append(s.local, s.snaps[before])
	s.snaps = s.snaps[:before]
	if len(s.local) > maxLocalSnaps {
		s.local[0].cp.Release()
		s.local = s.local[1:]
	}
}

// restoreBefore replaces the live process with one forked from the latest
// snapshot at or before frame, and positions the trace there. It reports
// false when there is none.
func (s *Session) restoreBefore(frame int64) (bool, error) {
	var best *snap
	for _, list := range [][]snap{s.snaps, s.local} {
		for i := range list {
			if list[i].frame <= frame && (best == nil || list[i].frame > best.frame) {
				best = &list[i]
			}
		}
	}
	if best == nil {
		return false, nil
	}
	procs, err := best.cp.Restore()
	if err != nil {
		return false, err
	}
	if !s.done {
		s.killLive()
	}
	if err := s.r.Seek(best.pos); err != nil {
		for i := len(procs) - 1; i >= 0; i-- {
			procs[i].Kill()
		}
		return false, err
	}
	s.tgidOf = maps.Clone(best.tgidOf)
	s.tasks = map[int32]*task{}
	s.mapFDs = nil // the copy's descriptors are the snapshot's
	var cur *tracee.Proc
	for i, tid := range best.tids {
		// The recorded ids now name the copy's threads: the client's
		// thread ids stay the same.
		tk := s.addTask(tid, s.tgidOf[tid], procs[i])
		if r := best.entry[i]; r != nil {
			tk.atEntry, tk.entryRegs = true, *r
		}
		if tid == best.cur {
			cur = procs[i]
		}
	}
	s.resetLive(cur, best.frame, best.next)
	s.cur = best.cur
	s.pid.Store(int64(cur.Pid))
	s.ours[procs[0].Pid] = true
	s.restores++
	if len(procs) > 1 {
		s.threadRestores++
	}
	return true, nil
}

// resetLive forgets the state of the replaced live process: t (nil until
// start spawns one) is at the boundary before frame, next already read.
func (s *Session) resetLive(t *tracee.Proc, frame int64, next *trace.Frame) {
	s.t, s.frame, s.sig, s.exit, s.done, s.ended = t, frame, 0, 0, false, false
	s.next, s.held, s.atEnd, s.interrupted = next, nil, false, false
	s.bps, s.protectedNow, s.slots, s.armed = map[uint64]byte{}, map[uint64]int{}, nil, nil
	s.stopSent.Store(false)
}

// notRecorded tells whether the SIGCHLD the live thread is stopped for
// arose in the replay itself: from one of rewind's own processes, or from
// the kernel as a child of the replay changed state. The recorded ones are
// raised again by tgkill, at their frames.
func (s *Session) notRecorded() bool {
	info, err := s.t.Siginfo()
	if err != nil {
		return false
	}
	const siTkill = -6
	code := int32(binary.LittleEndian.Uint32(info[8:]))
	return code != siTkill || s.ours[int(int32(binary.LittleEndian.Uint32(info[16:])))]
}

// releaseSnapshots kills every snapshot.
func (s *Session) releaseSnapshots() {
	for _, sn := range append(s.snaps, s.local...) {
		sn.cp.Release()
	}
	s.snaps, s.local = nil, nil
}

// SnapshotStats counts snapshots and their use.
type SnapshotStats struct {
	Frames  []int64 // the boundaries of the live snapshots, before these events
	Threads []int   // how many threads each re-creates
	// Restores counts the times the replay went back to a snapshot;
	// ThreadRestores those to one of several threads.
	Restores, ThreadRestores int
}

// SnapshotStats lists the snapshots and counts how often the replay went
// back to one.
func (s *Session) SnapshotStats() SnapshotStats {
	st := SnapshotStats{Restores: s.restores, ThreadRestores: s.threadRestores}
	for _, sn := range append(s.snaps, s.local...) {
		st.Frames = append(st.Frames, sn.frame)
		st.Threads = append(st.Threads, sn.cp.Threads())
	}
	return st
}

// Snapshots returns how many snapshot processes are alive.
func (s *Session) Snapshots() int { return len(s.snaps) + len(s.local) }

// SnapshotPids lists the snapshot processes (to measure their memory).
func (s *Session) SnapshotPids() []int {
	var pids []int
	for _, sn := range append(s.snaps, s.local...) {
		pids = append(pids, sn.cp.Pid())
	}
	return pids
}
