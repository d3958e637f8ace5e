/*
 * Process Inspector's native spawn recorder: an LD_PRELOAD library for any program dynamically
 * linked against glibc (C, C++, Rust, ...). The record format and the contract are in
 * src/record/types.ts; src/record/native.ts compiles this file with the machine's cc:
 *   cc -shared -fPIC -O2 -g0 -DPIRECORD_STATIC_UNWIND -static-libgcc -Wl,--exclude-libs,ALL \
 *      -Wl,-z,noseparate-code -Wl,-z,norelro -o libpirecord.so preload.c -ldl
 * (and, when that cc or its linker refuses one of the options, without them all).
 *
 * Wrapped: fork, vfork, posix_spawn, posix_spawnp, popen, system, forkpty. In the PARENT, after a
 * successful spawn, one JSON line is appended to the file named by PROCESS_INSPECTOR_RECORD.
 *
 * Choices, and why:
 *  - The record path is read ONCE, in the constructor (before main). A program that calls
 *    clearenv()/unsetenv() later still records (its exec'd children inherit what the environment
 *    then holds, and record only if the variable is still there). Setting the variable later does
 *    not start recording. When the variable is unset at load, every wrapper is a plain call of the
 *    real function (system() included: then glibc's own runs), and the library takes itself out of
 *    LD_PRELOAD, so that the programs this one execs do not load it for nothing (drop_from_preload).
 *  - The child's start time (the record's "start", field 22 of /proc/CHILD/stat) comes from
 *    CLOCK_BOOTTIME read right before and right after the spawn, when both fall in the same clock
 *    tick; only otherwise is /proc/CHILD/stat read (child_start()).
 *  - vfork becomes fork: a wrapper cannot return twice on a shared stack. A vfork child may only
 *    _exit or exec, which a fork child can do as well.
 *  - forkpty and daemon call glibc's internal __fork, not the public fork, so forkpty is wrapped
 *    on its own (api "forkpty"). daemon() is not: its parent _exits inside daemon, and its child
 *    is reparented to init, never a zombie of the program.
 *  - system(): glibc's calls an internal __posix_spawn that cannot be interposed, so while
 *    recording it is reimplemented on the real posix_spawn as POSIX describes (and as glibc does):
 *    SIGINT and SIGQUIT ignored and SIGCHLD blocked in the parent while it waits (counted, for
 *    concurrent calls from several threads), the child gets the parent's old mask and default
 *    SIGINT/SIGQUIT unless they were ignored, "/bin/sh -c -- CMD", 127 as the exit status when
 *    the shell cannot be started. system(NULL) goes to glibc's.
 *  - popen(): glibc's uses an internal spawn too; its child's pid is found by reading the calling
 *    thread's /proc/self/task/TID/children before and after the call (the new entry). pclose is
 *    glibc's, untouched.
 *  - Every exec'd child of a recorded program loads this library (LD_PRELOAD is inherited), and
 *    most never spawn: what loading it costs is paid on every spawn of the program. So: two
 *    PT_LOAD segments (-z noseparate-code), no RELRO (-z norelro: no mprotect, no third mapping),
 *    static data that fits the one page the data segment already has, and a constructor that
 *    calls nothing in libc while recording (each libc function `true` would not call itself is a
 *    page fault and a lazy-binding lookup more, in every child).
 *  - The stack: libgcc's unwinder (_Unwind_Backtrace), linked into this library from libgcc_eh
 *    (-static-libgcc; its symbols kept local by --exclude-libs, so it never interposes the
 *    program's own unwinder). glibc's backtrace() would dlopen libgcc_s at the first record: six
 *    mappings more in the recorded program, which each later fork() copies. Built without those
 *    options (PIRECORD_STATIC_UNWIND undefined), backtrace() is used. Then each frame's module
 *    and load bias from _dl_find_object() (glibc 2.35+: lock-free) or else dl_iterate_phdr()
 *    (see locate()).
 *    offset = address - load bias - 1 (a return address points past its call), which is what
 *    `addr2line -e MODULE` takes; for a non-PIE executable the bias is 0. No function name is
 *    written: `addr2line -f` gives it from the module and offset (from the symbol table, static
 *    ones too), and dladdr(), which searched the exported symbols for it, was most of a record's
 *    cost (bench/recorders.mjs: ~25 us of ~70 us a record in a fork loop).
 *    The main program's module is /proc/self/exe, resolved at the first record. This library's own
 *    frames are left out. At most 64 frames; the stack part of a line is built in a 12 KiB stack
 *    buffer, before the spawn (struct pending), and frames that do not fit are dropped (the line
 *    stays valid JSON).
 *  - Nothing happens in a child after fork (no record, no allocation). Nothing is printed, errno is
 *    saved and restored around all recording, return values are never changed; when the file
 *    cannot be opened or written the record is dropped. One open(O_WRONLY|O_APPEND|O_CREAT|
 *    O_CLOEXEC, 0600), ONE writev(2) of the whole line (its head and its stack), close.
 *  - Threads: no mutable static state after the constructor except the system() signal counter
 *    (under a mutex), the main program's path (written once, see exe_name()) and the real
 *    functions (each resolved by its wrapper's first call, stored atomically: a race resolves it
 *    twice, alike). Records of spawns made inside signal handlers are not async-signal-safe
 *    (built without the static unwinder, backtrace() may dlopen libgcc_s at the first record;
 *    before glibc 2.35 dl_iterate_phdr takes the loader's lock), and neither is a wrapper's first
 *    call (dlsym).
 *  - Not seen: static binaries (LD_PRELOAD does nothing to them), raw clone/clone3 syscalls,
 *    _Fork, programs that do not use glibc's symbols (Go).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#ifdef PIRECORD_STATIC_UNWIND
#include <unwind.h>
#else
#include <execinfo.h>
#endif
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAMES 64
#define LINE_MAX_BYTES 12288
#define PATH_BYTES 4096

extern char **environ;

typedef pid_t (*fork_fn)(void);
typedef int (*spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
                        char *const[], char *const[]);
typedef FILE *(*popen_fn)(const char *, const char *);
typedef int (*system_fn)(const char *);
typedef pid_t (*forkpty_fn)(int *, char *, const struct termios *, const struct winsize *);

/* errno put back as it was, written only when it changed: after fork() every page the parent
 * writes is a page fault (shared with the child until that execs), errno's thread-local page
 * among them, and the recording calls seldom fail. */
#define restore_errno(saved)              \
  do {                                    \
    if (errno != (saved)) errno = (saved); \
  } while (0)

static fork_fn real_fork;
static spawn_fn real_posix_spawn;
static spawn_fn real_posix_spawnp;
static popen_fn real_popen;
static system_fn real_system;
static forkpty_fn real_forkpty;

/* Written once in the constructor, read-only afterwards. A record path shorter than
 * record_inline is copied there (static data, in the page the library's data segment has anyway);
 * a longer one into a block mapped for it. Two 4 KiB static paths would cost every child that
 * loads the library (all of them: LD_PRELOAD is inherited) a mapping of zero pages more,
 * recording or not. (mmap, not malloc: no heap set up in a child that never uses one.) */
static char record_inline[256];
static char *record_path;
static char *exe_path; /* PATH_BYTES, mapped and written once, at the first record (see exe_name()) */
static int recording;

/* The main program's path, read at the first record, not in the constructor: every exec'd child
 * runs that (the variable is inherited), and a readlink of /proc/self/exe there cost each child
 * ~20 us of CPU (bench/recorders.mjs), spawning or not. Published once without a lock (nothing
 * here may block: a fork child of a thread caught half-way would wait forever): the first record
 * to read it claims the slot (state 0 -> 1), copies, publishes (2); a record that finds the slot
 * claimed but not published (another thread, or a fork child of it) uses its own reading. */
static int exe_state;

static const char *exe_name(char *local, size_t size) {
  if (__atomic_load_n(&exe_state, __ATOMIC_ACQUIRE) == 2) return exe_path;
  ssize_t n = readlink("/proc/self/exe", local, size - 1);
  if (n <= 0) return "/proc/self/exe";
  local[n] = 0;
  int unread = 0;
  if (__atomic_compare_exchange_n(&exe_state, &unread, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    void *slot = mmap(NULL, PATH_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (slot == MAP_FAILED) return local; /* claimed, never published: each record reads its own */
    exe_path = slot;
    memcpy(exe_path, local, (size_t)n + 1);
    __atomic_store_n(&exe_state, 2, __ATOMIC_RELEASE);
  }
  return local;
}

static void *next_symbol(const char *name) {
  return dlsym(RTLD_NEXT, name);
}

/* Each wrapper resolves the function it wraps at its first call (not in the constructor, below). */
#define REAL(var, type, name)                                             \
  do {                                                                    \
    if (!__atomic_load_n(&var, __ATOMIC_ACQUIRE))                         \
      __atomic_store_n(&var, (type)next_symbol(name), __ATOMIC_RELEASE);  \
  } while (0)

/* Not recording (PROCESS_INSPECTOR_RECORD unset or empty when this process started, so nothing it
 * does will ever be recorded): the library takes itself out of LD_PRELOAD, so that the programs
 * this one execs do not load it for nothing (bench/recorders.mjs: ~25-40 us of each child's CPU,
 * the price of any LD_PRELOAD library). Other entries stay, in their order, separated by spaces;
 * when ours was the only one the variable goes. The string is edited in place: no allocation
 * before main. The environment is then what the program had before we were added to it. */
static void drop_from_preload(void) {
  static const char ours[] = "libpirecord.so";
  char *v = getenv("LD_PRELOAD");
  if (!v) return;
  char *w = v; /* never ahead of r: at most what was read is written */
  const char *r = v;
  int kept = 0, dropped = 0;
  for (;;) {
    while (*r == ' ' || *r == ':') r++; /* ld.so's separators */
    if (!*r) break;
    const char *e = r;
    while (*e && *e != ' ' && *e != ':') e++;
    size_t n = (size_t)(e - r);
    const char *base = r + n;
    while (base > r && base[-1] != '/') base--;
    if ((size_t)(e - base) == sizeof ours - 1 && memcmp(base, ours, sizeof ours - 1) == 0) {
      dropped = 1;
    } else {
      if (kept) *w++ = ' ';
      memmove(w, r, n);
      w += n;
      kept = 1;
    }
    r = e;
  }
  if (!dropped) return;
  if (kept) *w = 0;
  else unsetenv("LD_PRELOAD");
}

/* Nanoseconds per clock tick (1e9 / sysconf(_SC_CLK_TCK)); -1 when the tick is not a whole number
 * of nanoseconds (then every record reads the child's start time from /proc/CHILD/stat, see
 * child_start()); 0 until the first record sets it (not in the constructor: see there). */
static long long tick_ns;

/* The real functions are not resolved here but by each wrapper at its first call (REAL): every
 * exec'd child runs this constructor, recording or not, most never spawn, and six first dlsym calls
 * cost a child ~8 us. (A first spawn inside a signal handler then calls dlsym there, which is not
 * async-signal-safe; neither is its record, see the top of this file.) While recording it calls
 * nothing in libc either (the variable is found in envp, glibc passes constructors argc, argv,
 * envp; the copy is a loop, kept one by no-tree-loop-distribute-patterns), so errno is untouched. */
__attribute__((constructor, optimize("no-tree-loop-distribute-patterns")))
static void pirecord_init(int argc, char **argv, char **envp) {
  (void)argc;
  (void)argv;
  static const char key[] = "PROCESS_INSPECTOR_RECORD=";
  const char *p = NULL;
  for (char **e = envp; e && *e; e++) {
    size_t i = 0;
    while (i < sizeof key - 1 && (*e)[i] == key[i]) i++;
    if (i == sizeof key - 1) {
      p = *e + i;
      break;
    }
  }
  if (!p || !*p) {
    int saved = errno;
    drop_from_preload();
    restore_errno(saved);
    return;
  }
  size_t n = 0;
  while (p[n]) n++;
  char *block = record_inline;
  if (n >= PATH_BYTES) return;
  if (n >= sizeof record_inline) {
    int saved = errno;
    block = mmap(NULL, PATH_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    restore_errno(saved);
    if (block == MAP_FAILED) return;
  }
  for (size_t i = 0; i <= n; i++) block[i] = p[i];
  record_path = block;
  recording = 1;
}

/* ---- the record ---------------------------------------------------------------------------- */

struct out {
  char *buf;
  size_t len, cap;
  int overflow;
};

static void put(struct out *o, const char *s, size_t n) {
  if (o->overflow || o->len + n > o->cap) {
    o->overflow = 1;
    return;
  }
  memcpy(o->buf + o->len, s, n);
  o->len += n;
}

static void puts_(struct out *o, const char *s) {
  put(o, s, strlen(s));
}

static void putnum(struct out *o, unsigned long long v) {
  char tmp[24];
  int i = sizeof tmp;
  do {
    tmp[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  put(o, tmp + i, sizeof tmp - i);
}

static void putjson(struct out *o, const char *s) {
  static const char hex[] = "0123456789abcdef";
  put(o, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') {
      char e[2] = {'\\', (char)*p};
      put(o, e, 2);
    } else if (*p < 0x20) {
      char e[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
      put(o, e, 6);
    } else {
      put(o, (const char *)p, 1);
    }
  }
  put(o, "\"", 1);
}

/* CLOCK_BOOTTIME in nanoseconds (the vDSO: no system call), or -1. */
static long long boot_ns(void) {
  struct timespec ts;
  int saved = errno;
  if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0) {
    restore_errno(saved);
    return -1;
  }
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Field 22 of /proc/PID/stat (start time in clock ticks since boot), or -1. */
static long long stat_ticks(pid_t pid) {
  char path[48], buf[1024];
  struct out o = {path, 0, sizeof path - 1, 0};
  puts_(&o, "/proc/");
  putnum(&o, (unsigned long long)pid);
  puts_(&o, "/stat");
  path[o.len] = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* comm may hold ')' itself: the LAST one closes it */
  if (!p) return -1;
  p++;
  for (int field = 2; field < 22; field++) { /* p sits before field `field + 1` */
    while (*p == ' ') p++;
    if (field == 21) break;
    while (*p && *p != ' ') p++;
    if (!*p) return -1;
  }
  if (*p < '0' || *p > '9') return -1;
  long long v = 0;
  while (*p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
  return v;
}

/* Both clock readings widened by this much before they are rounded to ticks: insurance against a
 * reading on one CPU and the kernel's on another a hair apart. It costs a few more stat reads. */
#define CLOCK_GUARD_NS 20000LL

/* The child's start time as field 22 of /proc/CHILD/stat gives it: the kernel takes the child's
 * start_boottime (CLOCK_BOOTTIME) while it creates it, between t0 (read before the spawn) and t1
 * (after it returned), and field 22 is that time rounded down to whole clock ticks. So when t0 and
 * t1 fall in the same tick, that tick IS field 22, exactly, with no read of /proc (which, while
 * the child is still in execve, took 20-60 us a record: bench/recorders.mjs). Only when they fall
 * in different ticks (a spawn that took longer, or straddled a tick: ~1-2% of spawns of `true`
 * here) is the file read. The record stays what it was: pid and the exact start tick. */
static long long child_start(pid_t pid, long long t0, long long t1) {
  long long tick = __atomic_load_n(&tick_ns, __ATOMIC_RELAXED);
  if (!tick) { /* the first record; threads racing here compute the same value */
    long hz = sysconf(_SC_CLK_TCK); /* the auxiliary vector's AT_CLKTCK: no system call */
    tick = hz > 0 && 1000000000L % hz == 0 ? 1000000000L / hz : -1;
    __atomic_store_n(&tick_ns, tick, __ATOMIC_RELAXED);
  }
  if (tick > 0 && t0 >= CLOCK_GUARD_NS && t1 >= t0 && (t0 - CLOCK_GUARD_NS) / tick == (t1 + CLOCK_GUARD_NS) / tick)
    return t0 / tick;
  return stat_ticks(pid);
}

#ifdef PIRECORD_STATIC_UNWIND
struct walk {
  void **out;
  int n, max;
};

static _Unwind_Reason_Code walk_frame(struct _Unwind_Context *ctx, void *arg) {
  struct walk *w = arg;
  uintptr_t ip = _Unwind_GetIP(ctx);
  if (w->n >= w->max || !ip) return _URC_END_OF_STACK;
  w->out[w->n++] = (void *)ip;
  return _URC_NO_REASON;
}

/* What glibc's backtrace() does, on the unwinder linked in. */
static int unwind_stack(void **out, int max) {
  struct walk w = {out, 0, max};
  _Unwind_Backtrace(walk_frame, &w);
  return w.n;
}
#else
#define unwind_stack backtrace
#endif

struct frames {
  int n;
  uintptr_t addr[MAX_FRAMES + 8];
  const char *module[MAX_FRAMES + 8]; /* NULL: not found (yet) */
  uintptr_t bias[MAX_FRAMES + 8];
  int own[MAX_FRAMES + 8];
  uintptr_t self; /* an address inside this library */
  const char *exe; /* the main program's path */
};

#ifndef DLFO_EH_SEGMENT_TYPE
static int find_modules(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  struct frames *f = data;
  int mine = 0;
  for (int pass = 0; pass < 2; pass++) {
    for (int h = 0; h < info->dlpi_phnum; h++) {
      const ElfW(Phdr) *ph = &info->dlpi_phdr[h];
      if (ph->p_type != PT_LOAD) continue;
      uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
      if (pass == 0) {
        if (f->self >= lo && f->self < hi) mine = 1;
        continue;
      }
      for (int i = 0; i < f->n; i++) {
        if (f->module[i] || f->addr[i] < lo || f->addr[i] >= hi) continue;
        const char *name = info->dlpi_name;
        f->module[i] = name && *name ? name : f->exe;
        f->bias[i] = info->dlpi_addr;
        f->own[i] = mine;
      }
    }
  }
  return 0;
}
#endif

/* Each frame's module and load bias, and which frames are this library's own. With glibc 2.35+
 * _dl_find_object() per frame: lock-free (it is what libgcc's unwinder uses), where
 * dl_iterate_phdr() takes the loader's lock, a write that after fork() copies a page the child
 * still shares (bench/recorders.mjs: 8-40 us a record in a fork loop, 1.5 us after posix_spawn). */
static void locate(struct frames *f) {
#ifdef DLFO_EH_SEGMENT_TYPE
  struct dl_find_object mine, dlfo;
  int have_mine = _dl_find_object((void *)f->self, &mine) == 0;
  for (int i = 0; i < f->n; i++) {
    if (_dl_find_object((void *)f->addr[i], &dlfo) != 0 || !dlfo.dlfo_link_map) continue;
    const char *name = dlfo.dlfo_link_map->l_name;
    f->module[i] = name && *name ? name : f->exe;
    f->bias[i] = dlfo.dlfo_link_map->l_addr;
    f->own[i] = have_mine && dlfo.dlfo_link_map == mine.dlfo_link_map;
  }
#else
  dl_iterate_phdr(find_modules, f);
#endif
}

/* A record's stack part, `"stack":[...]}` and its newline, made by capture() BEFORE the spawn: the
 * caller's frames are the same before it as after it, and after a fork() every page the parent
 * writes while the child has not yet exec'd is copied (the unwinder's state, the frames, the
 * line: bench/recorders.mjs, a fork + execv loop). After the spawn the parent writes only the
 * few bytes of record()'s head (frames that do not fit are dropped). Made only while recording:
 * every caller is a wrapper's recording half. */
struct pending {
  size_t len;
  char tail[LINE_MAX_BYTES];
  /* The main program's path, read here until the first record has published it (exe_name()):
   * last, so that the pages a record writes (len, the start of tail) stay together, and out of
   * capture()'s frame, so that its frame and the unwinder's below it span fewer pages. */
  char exe[PATH_BYTES];
};

static void capture(struct pending *p) {
  int saved = errno;
  void *raw[MAX_FRAMES + 8];
  struct frames f;
  f.n = unwind_stack(raw, MAX_FRAMES + 8);
  if (f.n < 0) f.n = 0;
  for (int i = 0; i < f.n; i++) {
    f.addr[i] = (uintptr_t)raw[i];
    f.module[i] = NULL;
    f.own[i] = 0;
  }
  f.self = (uintptr_t)&capture;
  f.exe = exe_name(p->exe, sizeof p->exe);
  locate(&f);

  struct out o = {p->tail, 0, sizeof p->tail - 4, 0}; /* room for "]}\n" */
  puts_(&o, "\"stack\":[");
  int written = 0;
  for (int i = 0; i < f.n && written < MAX_FRAMES; i++) {
    if (f.own[i]) continue;
    size_t mark = o.len;
    puts_(&o, written ? ",{" : "{");
    if (f.module[i]) {
      puts_(&o, "\"module\":");
      putjson(&o, f.module[i]);
      puts_(&o, ",\"offset\":");
      putnum(&o, (unsigned long long)(f.addr[i] - f.bias[i] - 1));
    } else {
      /* an address in no loaded module (JIT code, a signal trampoline): its raw value */
      puts_(&o, "\"module\":\"\",\"offset\":");
      putnum(&o, (unsigned long long)(f.addr[i] - 1));
    }
    puts_(&o, "}");
    if (o.overflow) { /* this frame does not fit: end the stack before it */
      o.len = mark;
      o.overflow = 0;
      break;
    }
    written++;
  }
  memcpy(p->tail + o.len, "]}\n", 3);
  p->len = o.len + 3;
  restore_errno(saved);
}

/* Writes the record of child pid: its head (ids, start, time, api) then the stack capture() made
 * before the spawn, in one writev(2) (O_APPEND: each line lands whole). t0, t1: boot_ns() right
 * before the spawn and right after it returned (-1: not taken). */
static void record(pid_t pid, const char *api, long long t0, long long t1, const struct pending *p) {
  if (pid <= 0) return;
  int saved = errno;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  long long start = child_start(pid, t0, t1);

  char head[256]; /* the longest head is ~170 bytes; a smaller frame writes fewer stack pages after fork() */
  struct out o = {head, 0, sizeof head, 0};
  puts_(&o, "{\"v\":1,\"pid\":");
  putnum(&o, (unsigned long long)pid);
  puts_(&o, ",\"ppid\":");
  putnum(&o, (unsigned long long)getpid());
  puts_(&o, ",\"tid\":");
  putnum(&o, (unsigned long long)syscall(SYS_gettid));
  puts_(&o, ",\"start\":");
  if (start >= 0) putnum(&o, (unsigned long long)start);
  else puts_(&o, "null");
  puts_(&o, ",\"time\":");
  putnum(&o, (unsigned long long)ts.tv_sec * 1000ULL + (unsigned long long)(ts.tv_nsec / 1000000));
  char frac[4] = {'.', (char)('0' + ts.tv_nsec / 100000 % 10), (char)('0' + ts.tv_nsec / 10000 % 10),
                  (char)('0' + ts.tv_nsec / 1000 % 10)};
  put(&o, frac, 4);
  puts_(&o, ",\"api\":");
  putjson(&o, api);
  puts_(&o, ",\"lang\":\"native\",");
  if (o.overflow) goto out;

  int fd = open(record_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) {
    struct iovec iov[2] = {{head, o.len}, {(void *)p->tail, p->len}};
    ssize_t w = writev(fd, iov, 2);
    (void)w;
    close(fd);
  }
out:
  restore_errno(saved);
}

/* ---- the wrappers -------------------------------------------------------------------------- */

/* Each wrapper's recording half is a function of its own (RECORDING_HALF): a program that does not
 * record then calls the real function from a frame without the 12 KiB pending record. A deeper
 * stack puts the caller's frame and the real fork's on two pages, and every page written between
 * two forks is a page fault after each (bench/recorders.mjs, "off"). */
#define RECORDING_HALF __attribute__((noinline))

RECORDING_HALF static pid_t fork_recording(const char *api) {
  struct pending p;
  capture(&p);
  long long t0 = boot_ns();
  pid_t pid = real_fork();
  if (pid > 0) record(pid, api, t0, boot_ns(), &p); /* in the child (pid 0) nothing at all */
  return pid;
}

static pid_t do_fork(const char *api) {
  REAL(real_fork, fork_fn, "fork");
  if (!real_fork) {
    errno = ENOSYS;
    return -1;
  }
  return recording ? fork_recording(api) : real_fork();
}

pid_t fork(void) {
  return do_fork("fork");
}

pid_t vfork(void) {
  return do_fork("vfork");
}

RECORDING_HALF static int spawn_recording(spawn_fn fn, const char *api, pid_t *pidp, const char *path,
                                          const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
                                          char *const argv[], char *const envp[]) {
  pid_t pid = 0;
  struct pending p;
  capture(&p);
  long long t0 = boot_ns();
  int rc = fn(&pid, path, fa, attr, argv, envp); /* our own pid_t: the caller's may be NULL */
  long long t1 = boot_ns();
  if (pidp) *pidp = pid;
  if (rc == 0) record(pid, api, t0, t1, &p);
  return rc;
}

static int do_spawn(spawn_fn fn, const char *api, pid_t *pidp, const char *path,
                    const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr, char *const argv[],
                    char *const envp[]) {
  if (!fn) return ENOSYS;
  if (!recording) return fn(pidp, path, fa, attr, argv, envp);
  return spawn_recording(fn, api, pidp, path, fa, attr, argv, envp);
}

int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
                char *const argv[], char *const envp[]) {
  REAL(real_posix_spawn, spawn_fn, "posix_spawn");
  return do_spawn(real_posix_spawn, "posix_spawn", pid, path, fa, attr, argv, envp);
}

int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
                 char *const argv[], char *const envp[]) {
  REAL(real_posix_spawnp, spawn_fn, "posix_spawnp");
  return do_spawn(real_posix_spawnp, "posix_spawnp", pid, file, fa, attr, argv, envp);
}

RECORDING_HALF static pid_t forkpty_recording(int *amaster, char *name, const struct termios *termp, const struct winsize *winp) {
  struct pending p;
  capture(&p);
  long long t0 = boot_ns();
  pid_t pid = real_forkpty(amaster, name, termp, winp);
  if (pid > 0) record(pid, "forkpty", t0, boot_ns(), &p);
  return pid;
}

pid_t forkpty(int *amaster, char *name, const struct termios *termp, const struct winsize *winp) {
  REAL(real_forkpty, forkpty_fn, "forkpty");
  if (!real_forkpty) {
    errno = ENOSYS;
    return -1;
  }
  return recording ? forkpty_recording(amaster, name, termp, winp) : real_forkpty(amaster, name, termp, winp);
}

/* Appends to a malloc'd pid array; on allocation failure frees it and leaves NULL. */
static void push_pid(pid_t **pids, size_t *count, size_t *cap, pid_t pid) {
  if (!*pids) return;
  if (*count == *cap) {
    pid_t *more = realloc(*pids, 2 * *cap * sizeof **pids);
    if (!more) {
      free(*pids);
      *pids = NULL;
      return;
    }
    *pids = more;
    *cap *= 2;
  }
  (*pids)[(*count)++] = pid;
}

/* The calling thread's children, as a malloc'd array (count in *n); NULL when unreadable (a kernel
 * without CONFIG_PROC_CHILDREN: then popen is not recorded). */
static pid_t *thread_children(size_t *n) {
  char path[64];
  struct out o = {path, 0, sizeof path - 1, 0};
  puts_(&o, "/proc/self/task/");
  putnum(&o, (unsigned long long)syscall(SYS_gettid));
  puts_(&o, "/children");
  path[o.len] = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 64, count = 0;
  pid_t *pids = malloc(cap * sizeof *pids);
  char buf[4096];
  unsigned long long cur = 0;
  int in = 0;
  ssize_t r;
  while (pids && (r = read(fd, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < r; i++) {
      if (buf[i] >= '0' && buf[i] <= '9') {
        cur = cur * 10 + (unsigned)(buf[i] - '0');
        in = 1;
      } else if (in) {
        push_pid(&pids, &count, &cap, (pid_t)cur);
        cur = 0;
        in = 0;
      }
    }
  }
  if (in) push_pid(&pids, &count, &cap, (pid_t)cur); /* no trailing space */
  close(fd);
  *n = count;
  return pids;
}

RECORDING_HALF static FILE *popen_recording(const char *command, const char *mode) {
  int saved = errno;
  size_t nb = 0, na = 0;
  pid_t *before = thread_children(&nb);
  struct pending p;
  capture(&p);
  long long t0 = boot_ns();
  restore_errno(saved);
  FILE *fp = real_popen(command, mode);
  long long t1 = boot_ns();
  if (!fp || !before) {
    free(before);
    return fp;
  }
  saved = errno;
  pid_t *after = thread_children(&na);
  pid_t found = 0;
  for (size_t i = 0; after && i < na; i++) {
    int old = 0;
    for (size_t j = 0; j < nb && !old; j++) old = before[j] == after[i];
    if (!old) found = after[i]; /* the newest one, should a signal handler have forked too */
  }
  free(before);
  free(after);
  restore_errno(saved);
  if (found > 0) record(found, "popen", t0, t1, &p);
  return fp;
}

FILE *popen(const char *command, const char *mode) {
  REAL(real_popen, popen_fn, "popen");
  if (!real_popen) {
    errno = ENOSYS;
    return NULL;
  }
  return recording ? popen_recording(command, mode) : real_popen(command, mode);
}

/* system(): counted so that concurrent calls restore SIGINT/SIGQUIT only when the last ends. */
static pthread_mutex_t system_lock = PTHREAD_MUTEX_INITIALIZER;
static int system_users;
static struct sigaction system_intr, system_quit;

RECORDING_HALF static int system_recording(const char *command) {
  struct sigaction ign, intr, quit;
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  sigset_t chld, omask;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);

  pthread_mutex_lock(&system_lock);
  if (system_users++ == 0) {
    sigaction(SIGINT, &ign, &system_intr);
    sigaction(SIGQUIT, &ign, &system_quit);
  }
  intr = system_intr;
  quit = system_quit;
  pthread_mutex_unlock(&system_lock);
  sigprocmask(SIG_BLOCK, &chld, &omask);

  sigset_t reset;
  sigemptyset(&reset);
  if (intr.sa_handler != SIG_IGN) sigaddset(&reset, SIGINT);
  if (quit.sa_handler != SIG_IGN) sigaddset(&reset, SIGQUIT);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setsigmask(&attr, &omask);
  posix_spawnattr_setsigdefault(&attr, &reset);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  char *argv[] = {(char *)"sh", (char *)"-c", (char *)"--", (char *)command, NULL};
  pid_t pid = 0;
  int status;
  struct pending p;
  capture(&p);
  long long t0 = boot_ns();
  int rc = real_posix_spawn(&pid, "/bin/sh", NULL, &attr, argv, environ);
  long long t1 = boot_ns();
  posix_spawnattr_destroy(&attr);
  if (rc == 0) {
    record(pid, "system", t0, t1, &p);
    pid_t w;
    while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
    }
    if (w != pid) status = -1;
  } else {
    status = 127 << 8; /* as if the shell had exited 127, as glibc does */
  }
  int saved = errno;

  pthread_mutex_lock(&system_lock);
  if (--system_users == 0) {
    sigaction(SIGINT, &system_intr, NULL);
    sigaction(SIGQUIT, &system_quit, NULL);
  }
  pthread_mutex_unlock(&system_lock);
  sigprocmask(SIG_SETMASK, &omask, NULL);
  restore_errno(saved);
  return status;
}

int system(const char *command) {
  REAL(real_system, system_fn, "system");
  REAL(real_posix_spawn, spawn_fn, "posix_spawn");
  if (recording && command != NULL && real_posix_spawn) return system_recording(command);
  if (!real_system) {
    errno = ENOSYS;
    return -1;
  }
  return real_system(command);
}
