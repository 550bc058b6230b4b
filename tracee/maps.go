package tracee

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Mapping is one line of /proc/PID/maps.
type Mapping struct {
	Start, End uint64
	Perms      string
	Offset     uint64
	Inode      uint64
	Path       string
}

// ReadMaps parses /proc/PID/maps.
func ReadMaps(pid int) ([]Mapping, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ms []Mapping
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		var m Mapping
		se := strings.SplitN(fields[0], "-", 2)
		m.Start, _ = strconv.ParseUint(se[0], 16, 64)
		m.End, _ = strconv.ParseUint(se[1], 16, 64)
		m.Perms = fields[1]
		m.Offset, _ = strconv.ParseUint(fields[2], 16, 64)
		m.Inode, _ = strconv.ParseUint(fields[4], 10, 64)
		if len(fields) >= 6 {
			m.Path = strings.Join(fields[5:], " ")
		}
		ms = append(ms, m)
	}
	return ms, sc.Err()
}

// FindMapping returns the mapping containing addr, or nil.
func FindMapping(ms []Mapping, addr uint64) *Mapping {
	for i := range ms {
		if ms[i].Start <= addr && addr < ms[i].End {
			return &ms[i]
		}
	}
	return nil
}
