package preload

import (
	"bytes"
	"debug/elf"
	"testing"
)

// TestStaticImage checks the library is what Start can load:
// nothing for a dynamic linker to do (no relocations, no TLS), its entry
// and its slotless block inside it, and all of it below the slots.
func TestStaticImage(t *testing.T) {
	f, err := elf.NewFile(bytes.NewReader(StaticLibrary))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_TLS || p.Type == elf.PT_INTERP {
			t.Errorf("the library has a %v segment", p.Type)
		}
	}
	for _, sec := range f.Sections {
		if (sec.Type == elf.SHT_RELA || sec.Type == elf.SHT_REL) && sec.Size > 0 {
			t.Errorf("the library has relocations (%s): nothing applies them", sec.Name)
		}
	}
	img, err := static()
	if err != nil {
		t.Fatal(err)
	}
	end := StaticBase + img.size
	if img.start < StaticBase || img.start >= end || img.noSlot < StaticBase || img.noSlot >= end || end > Slots {
		t.Errorf("entry %#x, block %#x, image %#x-%#x, slots from %#x", img.start, img.noSlot, uint64(StaticBase), end, uint64(Slots))
	}
	if gs, ok := NewThreadGS(Slots + 3*SlotSize); !ok || gs != img.noSlot {
		t.Errorf("NewThreadGS of a slot = %#x, %v; want %#x", gs, ok, img.noSlot)
	}
	if _, ok := NewThreadGS(0); ok {
		t.Error("NewThreadGS takes a gs base that is not the variant's")
	}
}
