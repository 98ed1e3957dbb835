/*
 * Moves the calling thread to the SCHED_IDLE scheduling policy (Linux): it then runs only when no
 * other thread wants the CPU, and gives way at once when one wakes. The query log's writer thread
 * uses it so that writing the log never delays a DNS answer (see src/store/writer-priority.ts).
 * Any thread may lower itself to SCHED_IDLE without privileges.
 *
 *   idle() -> 0, or the errno of sched_setscheduler(2)
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <sched.h>
#include <node_api.h>

static napi_value idle(napi_env env, napi_callback_info info) {
  (void)info;
  struct sched_param param = { .sched_priority = 0 };
  /* pid 0 is the calling thread: Linux schedules threads, not processes. */
  int rc = sched_setscheduler(0, SCHED_IDLE, &param) == 0 ? 0 : errno;
  napi_value result;
  if (napi_create_int32(env, rc, &result) != napi_ok) return NULL;
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "idle", NAPI_AUTO_LENGTH, idle, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "idle", fn) != napi_ok) return NULL;
  return exports;
}
