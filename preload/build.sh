#!/bin/sh
# Builds the syscall buffer library, librewind_static.so, from
# csrc/preload.c (go generate ./preload); rewind loads it into every
# program it records or replays. Freestanding: the library must not call
# libc, whose syscalls it patches. With an argument, it goes into that
# directory instead.
set -eu
cd "$(dirname "$0")/csrc"
out=${1:-..}
${CC:-gcc} -O2 -fPIC -shared -nostdlib -ffreestanding -fno-builtin \
	-mgeneral-regs-only -mno-red-zone -fno-stack-protector -fcf-protection=none \
	-fvisibility=hidden -fno-asynchronous-unwind-tables -Wall -Wextra -Werror \
	-Wl,--build-id=none -Wl,-z,now -Wl,-z,noexecstack -o "$out/librewind_static.so" preload.c
