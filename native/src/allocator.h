// glibc's malloc, kept from handing large tensor buffers back to the system after every op.
//
// By default glibc serves blocks above its mmap threshold with fresh mappings and unmaps them on
// free, so every training step maps and zeroes its activation buffers again: CC2D's stage-2 step
// (256 px, width 0.25) spent half its CPU time in the kernel, at ~100 000 minor page faults a
// second. With the threshold at its maximum (32 MiB) and trimming only past 1 GiB of free heap the
// same step took 293 and 255 ms against 556 and 614 (two threads, AMD EPYC, idle;
// `npm run bench:engine -- --size 256 --batch 4 --width 0.25 --levels 5 --no-dilated --threads 2
// --steps 10 --variants none`), at the same peak RSS. Header-only so that bench:engine's C++ twin
// runs under the same allocator settings as the addon. A user's MALLOC_MMAP_THRESHOLD_ /
// MALLOC_TRIM_THRESHOLD_ wins; other C libraries are left alone.
#pragma once

#if defined(__GLIBC__)
#include <malloc.h>

#include <cstdlib>
#endif

namespace onemark {

inline void tuneAllocator() {
#if defined(__GLIBC__)
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  if (std::getenv("MALLOC_TRIM_THRESHOLD_") == nullptr) mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
#endif
}

}  // namespace onemark
