// Package trace reads and writes rewind's on-disk recordings.
//
// A trace is a directory (see docs/trace-format.md):
//
//	header.json  versioned header: format, rewind version, mode, CPU, kernel, exe, args, env
//	events       the frames, as a chunked zstd stream (each chunk checksummed)
//	files/       copies of the files the program mapped (executables, libraries)
//	incomplete   present while recording, or when the recorder died
//
// Like debug/elf, the package is not hardened against hostile input beyond
// bounding every size it reads and reporting the offset of what is wrong.
package trace
