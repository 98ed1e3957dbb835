/*
 * Process and thread settings Node.js does not expose (Linux, glibc):
 *
 *   idleThread() -> 0 or an errno
 *     Moves the calling thread to the SCHED_IDLE policy: it then runs only when no other thread
 *     wants the CPU, and gives way at once when one wakes. The query log's writer thread uses it so
 *     that writing the log never delays a DNS answer (src/store/writer-priority.ts). Any thread may
 *     lower itself to SCHED_IDLE without privileges.
 *
 *   shortSlice(nanoseconds) -> the slice now in effect in nanoseconds, 0 where the kernel has none,
 *                               or a negative errno
 *     Asks the scheduler for a short time slice for the calling thread (sched_setattr(2) with the
 *     thread's own policy and nice value, and sched_runtime set). On EEVDF kernels (Linux 6.12 and
 *     later) a thread with a shorter slice gets an earlier deadline, so when it wakes it preempts a
 *     running thread with a longer slice instead of waiting for that slice to end. The DNS threads
 *     use it (src/dns/dns-priority.ts): an answer is a few microseconds of work after a wakeup.
 *     The weight, and so the thread's share of the CPU, does not change; no privilege is needed.
 *     Older kernels accept the call and ignore the value, which reads back as 0.
 *
 *   fixMmapThreshold(bytes) -> true if set
 *     Allocations of `bytes` and more get their own mapping, returned to the system when freed.
 *     glibc otherwise raises that threshold each time a large block is freed (up to 32 MiB), after
 *     which the large buffers of a blocklist load or of a growing answer cache come from the heap,
 *     whose freed middle stays resident.
 *
 *   releaseFreeMemory() -> true if memory was returned
 *     malloc_trim(0): hands the free pages inside the heaps back to the system.
 *
 *   mallocStats() -> { heapBytes, usedBytes, freeBytes, mappedBytes } or null
 *     mallinfo2(3) over every arena: bytes of the malloc heaps, of them in use and free, and bytes in
 *     blocks with mappings of their own. What native code (SQLite, the addons, Node.js itself)
 *     holds outside V8's heaps; bench:memory reports it.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <node_api.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

static napi_value int_value(napi_env env, int32_t value) {
  napi_value result;
  if (napi_create_int32(env, value, &result) != napi_ok) return NULL;
  return result;
}

static napi_value bool_value(napi_env env, bool value) {
  napi_value result;
  if (napi_get_boolean(env, value, &result) != napi_ok) return NULL;
  return result;
}

/* The call's one argument as a positive integer into *out; false (with a TypeError thrown) otherwise. */
static bool positive_arg(napi_env env, napi_callback_info info, int64_t *out, const char *message) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int64(env, argv[0], out) != napi_ok || *out <= 0) {
    napi_throw_type_error(env, NULL, message);
    return false;
  }
  return true;
}

static napi_value idle_thread(napi_env env, napi_callback_info info) {
  (void)info;
  struct sched_param param = { .sched_priority = 0 };
  /* pid 0 is the calling thread: Linux schedules threads, not processes. */
  return int_value(env, sched_setscheduler(0, SCHED_IDLE, &param) == 0 ? 0 : errno);
}

/* struct sched_attr of sched_setattr(2), declared here: glibc has no wrapper before 2.41. */
struct thread_sched_attr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
};

static napi_value short_slice(napi_env env, napi_callback_info info) {
  int64_t ns = 0;
  if (!positive_arg(env, info, &ns, "shortSlice(nanoseconds) needs a positive duration")) return NULL;
#if defined(SYS_sched_setattr) && defined(SYS_sched_getattr)
  struct thread_sched_attr attr;
  memset(&attr, 0, sizeof attr);
  /* tid 0 is the calling thread. Keep its policy and nice value; only a normal (or batch) thread is
     changed: -EPERM for another policy. */
  if (syscall(SYS_sched_getattr, 0, &attr, (unsigned)sizeof attr, 0u) != 0) return int_value(env, -errno);
  if (attr.sched_policy != SCHED_OTHER && attr.sched_policy != SCHED_BATCH) return int_value(env, -EPERM);
  attr.size = sizeof attr;
  /* Keep SCHED_FLAG_RESET_ON_FORK; the utilisation clamps need a larger struct than this one. */
  attr.sched_flags &= 0x01;
  attr.sched_runtime = (uint64_t)ns;
  if (syscall(SYS_sched_setattr, 0, &attr, 0u) != 0) return int_value(env, -errno);
  memset(&attr, 0, sizeof attr);
  if (syscall(SYS_sched_getattr, 0, &attr, (unsigned)sizeof attr, 0u) != 0) return int_value(env, -errno);
  napi_value result;
  if (napi_create_int64(env, (int64_t)attr.sched_runtime, &result) != napi_ok) return NULL;
  return result;
#else
  return int_value(env, -ENOSYS);
#endif
}

static napi_value fix_mmap_threshold(napi_env env, napi_callback_info info) {
  const char *message = "fixMmapThreshold(bytes) needs a positive size below 2 GiB";
  int64_t bytes = 0;
  if (!positive_arg(env, info, &bytes, message)) return NULL;
  if (bytes > INT32_MAX) {
    napi_throw_type_error(env, NULL, message);
    return NULL;
  }
#ifdef __GLIBC__
  return bool_value(env, mallopt(M_MMAP_THRESHOLD, (int)bytes) == 1);
#else
  return bool_value(env, false);
#endif
}

static napi_value release_free_memory(napi_env env, napi_callback_info info) {
  (void)info;
#ifdef __GLIBC__
  return bool_value(env, malloc_trim(0) == 1);
#else
  return bool_value(env, false);
#endif
}

static napi_value malloc_figures(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  struct mallinfo2 m = mallinfo2();
  const char *names[] = { "heapBytes", "usedBytes", "freeBytes", "mappedBytes" };
  double values[] = { (double)m.arena, (double)m.uordblks, (double)m.fordblks, (double)m.hblkhd };
  napi_create_object(env, &result);
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    napi_value v;
    napi_create_double(env, values[i], &v);
    napi_set_named_property(env, result, names[i], v);
  }
#else
  napi_get_null(env, &result);
#endif
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor methods[] = {
    { "idleThread", NULL, idle_thread, NULL, NULL, NULL, napi_enumerable, NULL },
    { "shortSlice", NULL, short_slice, NULL, NULL, NULL, napi_enumerable, NULL },
    { "fixMmapThreshold", NULL, fix_mmap_threshold, NULL, NULL, NULL, napi_enumerable, NULL },
    { "releaseFreeMemory", NULL, release_free_memory, NULL, NULL, NULL, napi_enumerable, NULL },
    { "mallocStats", NULL, malloc_figures, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  if (napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods) != napi_ok) return NULL;
  return exports;
}
