#!/bin/sh
# Builds the syscall buffer library from csrc/preload.c (go generate
# ./preload): librewind_preload.so, loaded with LD_PRELOAD, and
# librewind_static.so (-DRW_STATIC), which rewind loads itself into
# programs without a dynamic linker. Freestanding: the library must not
# call libc, whose syscalls it patches. With an argument, both go into
# that directory instead.
set -eu
cd "$(dirname "$0")/csrc"
out=${1:-..}
build() {
	${CC:-gcc} -O2 -fPIC -shared -nostdlib -ffreestanding -fno-builtin \
		-mgeneral-regs-only -mno-red-zone -fno-stack-protector -fcf-protection=none \
		-fvisibility=hidden -fno-asynchronous-unwind-tables -Wall -Wextra -Werror \
		-Wl,--build-id=none -Wl,-z,now -Wl,-z,noexecstack "$@" preload.c
}
build -o "$out/librewind_preload.so"
build -DRW_STATIC -o "$out/librewind_static.so"
