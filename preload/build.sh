#!/bin/sh
# Builds librewind_preload.so from csrc/preload.c (go generate ./preload).
# Freestanding: the library must not call libc, whose syscalls it patches.
set -eu
cd "$(dirname "$0")/csrc"
out=${1:-../librewind_preload.so}
${CC:-gcc} -O2 -fPIC -shared -nostdlib -ffreestanding -fno-builtin \
	-mgeneral-regs-only -mno-red-zone -fno-stack-protector -fcf-protection=none \
	-fvisibility=hidden -fno-asynchronous-unwind-tables -Wall -Wextra -Werror \
	-Wl,--build-id=none -Wl,-z,now -Wl,-z,noexecstack \
	-o "$out" preload.c
