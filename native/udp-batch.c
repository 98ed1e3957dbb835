/*
 * Batched UDP reads and writes for the DNS gateway (Linux): recvmmsg(2) and sendmmsg(2).
 *
 * node:dgram makes one receive call, one JavaScript callback and one send call per datagram, and
 * allocates for each. This reader instead watches a bound UDP socket (a duplicate of the descriptor
 * node:dgram bound) in the thread's event loop, takes up to BATCH datagrams per system call into
 * memory shared with JavaScript, calls JavaScript once per batch, and sends the answers JavaScript
 * wrote back with one system call. Datagrams and answers live in fixed slots of ArrayBuffers that
 * JavaScript owns, so nothing is allocated per datagram on either side.
 *
 * Shared memory, per slot i of BATCH:
 *   packets    [i * IN_SLOT, +IN_SLOT)   the datagram received
 *   answers    [i * OUT_SLOT, +OUT_SLOT) the answer JavaScript wrote, sent to the datagram's sender
 *   meta       Int32 [i * 4 + 0]         datagram length, or -1 if it was longer than IN_SLOT
 *              Int32 [i * 4 + 1]         answer length set by JavaScript; 0 sends nothing
 *              Int32 [i * 4 + 2]         length of the sender's address
 *   addresses  [i * ADDR_SLOT, +ADDR_SLOT) the sender's struct sockaddr_in or sockaddr_in6
 *   counters   Float64 [0] datagrams received, [1] answers sent, [2] answers dropped because the
 *              socket stayed full or refused them, [3] datagrams too long for a slot
 *
 * The JavaScript API (see src/dns/udp-batch.ts):
 *   attach(fd, onBatch)              -> { handle, packets, answers, meta, addresses, counters, ... }
 *   send(handle, data, address, len) -> true if sent (an answer that was not ready in its batch)
 *   close(handle)                    stop reading and close the duplicate descriptor
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>
#include <fcntl.h>
#include <node_api.h>
#include <uv.h>

#define BATCH 64
#define IN_SLOT 4096
#define OUT_SLOT 4096
#define META 4
#define ADDR_SLOT ((int)sizeof(struct sockaddr_in6))
/* Batches read per readiness event before the event loop gets its turn back. */
#define ROUNDS 8
/* How long a full send buffer is waited for, once per batch, before answers are dropped. */
#define SEND_WAIT_MS 5

enum { C_RECEIVED, C_SENT, C_DROPPED, C_TRUNCATED, C_COUNT };

typedef struct reader {
  napi_env env;
  napi_ref callback;
  napi_ref buffers[5];
  napi_async_context async_context;
  napi_async_cleanup_hook_handle cleanup;
  uv_poll_t poll;
  int fd;
  /* The event loop (until the poll handle is closed) and the JavaScript handle (until collected). */
  int owners;
  int closing;
  int tearing_down;
  uint8_t *packets;
  uint8_t *answers;
  int32_t *meta;
  uint8_t *addresses;
  double *counters;
  struct mmsghdr in[BATCH];
  struct iovec in_iov[BATCH];
  struct mmsghdr out[BATCH];
  struct iovec out_iov[BATCH];
} reader_t;

#define CHECK(env, call)                                   \
  do {                                                     \
    if ((call) != napi_ok) {                               \
      napi_throw_error((env), NULL, "udp-batch: " #call);  \
      return NULL;                                         \
    }                                                      \
  } while (0)

/* Waits up to SEND_WAIT_MS for room in the socket's send buffer. */
static void wait_writable(int fd) {
  struct pollfd p = { .fd = fd, .events = POLLOUT, .revents = 0 };
  while (poll(&p, 1, SEND_WAIT_MS) < 0 && errno == EINTR) {
  }
}

static void send_answers(reader_t *r, int n) {
  int k = 0;
  for (int i = 0; i < n; i++) {
    int len = r->meta[i * META + 1];
    if (len <= 0 || len > OUT_SLOT) continue;
    r->out_iov[k].iov_base = r->answers + (size_t)i * OUT_SLOT;
    r->out_iov[k].iov_len = (size_t)len;
    struct msghdr *h = &r->out[k].msg_hdr;
    memset(h, 0, sizeof *h);
    h->msg_name = r->addresses + (size_t)i * ADDR_SLOT;
    h->msg_namelen = (socklen_t)r->meta[i * META + 2];
    h->msg_iov = &r->out_iov[k];
    h->msg_iovlen = 1;
    k++;
  }
  int sent = 0;
  int waited = 0;
  while (sent < k) {
    int rc = sendmmsg(r->fd, r->out + sent, (unsigned)(k - sent), MSG_DONTWAIT);
    if (rc > 0) {
      sent += rc;
      r->counters[C_SENT] += rc;
      continue;
    }
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) && !waited) {
      wait_writable(r->fd);
      waited = 1;
      continue;
    }
    if (rc < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
      /* The first answer left was refused (say, an unreachable address): skip only that one. */
      sent++;
      r->counters[C_DROPPED] += 1;
      continue;
    }
    r->counters[C_DROPPED] += k - sent;
    break;
  }
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  reader_t *r = poll->data;
  (void)events;
  if (status < 0 || r->closing) return;
  napi_env env = r->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, receiver;
  if (napi_get_reference_value(env, r->callback, &callback) != napi_ok || napi_get_global(env, &receiver) != napi_ok) {
    napi_close_handle_scope(env, scope);
    return;
  }
  for (int round = 0; round < ROUNDS && !r->closing; round++) {
    for (int i = 0; i < BATCH; i++) {
      r->in[i].msg_hdr.msg_namelen = ADDR_SLOT;
      r->in[i].msg_hdr.msg_flags = 0;
    }
    int n = recvmmsg(r->fd, r->in, BATCH, MSG_DONTWAIT, NULL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (int i = 0; i < n; i++) {
      int truncated = (r->in[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
      if (truncated) r->counters[C_TRUNCATED] += 1;
      r->meta[i * META] = truncated ? -1 : (int32_t)r->in[i].msg_len;
      r->meta[i * META + 1] = 0;
      r->meta[i * META + 2] = (int32_t)r->in[i].msg_hdr.msg_namelen;
    }
    r->counters[C_RECEIVED] += n;
    napi_value count;
    napi_create_uint32(env, (uint32_t)n, &count);
    napi_status called = napi_make_callback(env, r->async_context, receiver, callback, 1, &count, NULL);
    if (called != napi_ok) {
      /* JavaScript threw: hand the error to the process as an uncaught exception. */
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (pending) {
        napi_value err;
        napi_get_and_clear_last_exception(env, &err);
        napi_fatal_exception(env, err);
      }
      break;
    }
    if (r->closing) break;
    send_answers(r, n);
    if (n < BATCH) break;
  }
  napi_close_handle_scope(env, scope);
}

static void on_closed(uv_handle_t *handle) {
  reader_t *r = handle->data;
  if (!r->tearing_down) {
    napi_delete_reference(r->env, r->callback);
    for (int i = 0; i < 5; i++) napi_delete_reference(r->env, r->buffers[i]);
    napi_async_destroy(r->env, r->async_context);
  }
  napi_remove_async_cleanup_hook(r->cleanup);
  if (--r->owners == 0) free(r);
}

/* The JavaScript handle was collected: a send() or close() can no longer reach r. */
static void on_handle_collected(napi_env env, void *data, void *hint) {
  reader_t *r = data;
  (void)env;
  (void)hint;
  if (--r->owners == 0) free(r);
}

static void start_close(reader_t *r) {
  if (r->closing) return;
  r->closing = 1;
  uv_poll_stop(&r->poll);
  uv_close((uv_handle_t *)&r->poll, on_closed);
  /* uv_close has taken the descriptor out of the loop's epoll set: closing it now frees the port
   * before the caller goes on (it may bind the same port at once), and a descriptor number reused
   * later cannot be touched by this handle. */
  close(r->fd);
  r->fd = -1;
}

/* The thread's environment is going away (a DNS thread ends): close before its loop does. */
static void on_teardown(napi_async_cleanup_hook_handle handle, void *arg) {
  reader_t *r = arg;
  (void)handle;
  r->tearing_down = 1;
  start_close(r);
}

static napi_value shared_buffer(napi_env env, reader_t *r, int index, size_t size, void **data) {
  napi_value ab;
  if (napi_create_arraybuffer(env, size, data, &ab) != napi_ok) return NULL;
  memset(*data, 0, size);
  if (napi_create_reference(env, ab, 1, &r->buffers[index]) != napi_ok) return NULL;
  return ab;
}

/* The call's first `want` arguments into argv, the first being a reader handle; NULL (with a
 * TypeError thrown) when they are not there. */
static reader_t *reader_call(napi_env env, napi_callback_info info, size_t want, napi_value *argv, const char *usage) {
  size_t argc = want;
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want ||
      napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  return data;
}

static napi_value attach(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  napi_valuetype type;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_typeof(env, argv[1], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "udp-batch: attach(fd, onBatch) needs a descriptor and a function");
    return NULL;
  }
  int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) {
    napi_throw_error(env, "ERR_UDP_BATCH_DUP", strerror(errno));
    return NULL;
  }
  int flags = fcntl(own, F_GETFL);
  if (flags < 0 || fcntl(own, F_SETFL, flags | O_NONBLOCK) < 0) {
    close(own);
    napi_throw_error(env, "ERR_UDP_BATCH_DUP", strerror(errno));
    return NULL;
  }
  reader_t *r = calloc(1, sizeof *r);
  if (r == NULL) {
    close(own);
    napi_throw_error(env, NULL, "udp-batch: out of memory");
    return NULL;
  }
  r->env = env;
  r->fd = own;
  r->owners = 1;
  napi_value packets, answers, meta, addresses, counters, result, handle, resource, name;
  void *p;
  if ((packets = shared_buffer(env, r, 0, (size_t)BATCH * IN_SLOT, &p)) == NULL) goto fail;
  r->packets = p;
  if ((answers = shared_buffer(env, r, 1, (size_t)BATCH * OUT_SLOT, &p)) == NULL) goto fail;
  r->answers = p;
  if ((meta = shared_buffer(env, r, 2, (size_t)BATCH * META * sizeof(int32_t), &p)) == NULL) goto fail;
  r->meta = p;
  if ((addresses = shared_buffer(env, r, 3, (size_t)BATCH * ADDR_SLOT, &p)) == NULL) goto fail;
  r->addresses = p;
  if ((counters = shared_buffer(env, r, 4, C_COUNT * sizeof(double), &p)) == NULL) goto fail;
  r->counters = p;
  for (int i = 0; i < BATCH; i++) {
    r->in_iov[i].iov_base = r->packets + (size_t)i * IN_SLOT;
    r->in_iov[i].iov_len = IN_SLOT;
    r->in[i].msg_hdr.msg_iov = &r->in_iov[i];
    r->in[i].msg_hdr.msg_iovlen = 1;
    r->in[i].msg_hdr.msg_name = r->addresses + (size_t)i * ADDR_SLOT;
    r->in[i].msg_hdr.msg_namelen = ADDR_SLOT;
  }
  if (napi_create_reference(env, argv[1], 1, &r->callback) != napi_ok) goto fail;
  if (napi_create_object(env, &resource) != napi_ok ||
      napi_create_string_utf8(env, "rambu:udp-batch", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, resource, name, &r->async_context) != napi_ok) goto fail;
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) goto fail;
  if (uv_poll_init(loop, &r->poll, r->fd) != 0) goto fail;
  r->poll.data = r;
  if (napi_add_async_cleanup_hook(env, on_teardown, r, &r->cleanup) != napi_ok) {
    r->closing = 1;
    uv_close((uv_handle_t *)&r->poll, NULL);
    goto fail;
  }
  if (uv_poll_start(&r->poll, UV_READABLE, on_readable) != 0) {
    start_close(r);
    napi_throw_error(env, NULL, "udp-batch: cannot watch the socket");
    return NULL;
  }
  if (napi_create_external(env, r, on_handle_collected, NULL, &handle) != napi_ok) {
    start_close(r);
    napi_throw_error(env, NULL, "udp-batch: cannot make the reader handle");
    return NULL;
  }
  r->owners++;
  CHECK(env, napi_create_object(env, &result));
  napi_value batch, in_slot, out_slot, addr_slot;
  CHECK(env, napi_create_int32(env, BATCH, &batch));
  CHECK(env, napi_create_int32(env, IN_SLOT, &in_slot));
  CHECK(env, napi_create_int32(env, OUT_SLOT, &out_slot));
  CHECK(env, napi_create_int32(env, ADDR_SLOT, &addr_slot));
  CHECK(env, napi_set_named_property(env, result, "handle", handle));
  CHECK(env, napi_set_named_property(env, result, "packets", packets));
  CHECK(env, napi_set_named_property(env, result, "answers", answers));
  CHECK(env, napi_set_named_property(env, result, "meta", meta));
  CHECK(env, napi_set_named_property(env, result, "addresses", addresses));
  CHECK(env, napi_set_named_property(env, result, "counters", counters));
  CHECK(env, napi_set_named_property(env, result, "batch", batch));
  CHECK(env, napi_set_named_property(env, result, "inSlot", in_slot));
  CHECK(env, napi_set_named_property(env, result, "outSlot", out_slot));
  CHECK(env, napi_set_named_property(env, result, "addressSlot", addr_slot));
  return result;

fail:
  /* Only reached before the poll handle was started: nothing refers to r from the loop. */
  close(r->fd);
  if (!r->closing) free(r);
  napi_throw_error(env, NULL, "udp-batch: cannot set up the reader");
  return NULL;
}

/* send(handle, data: Uint8Array, address: Uint8Array, addressLength): boolean */
static napi_value send_one(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  reader_t *r = reader_call(env, info, 4, argv, "udp-batch: send(handle, data, address, addressLength)");
  if (r == NULL) return NULL;
  void *data, *addr;
  size_t len, addr_len;
  int32_t name_len;
  if (napi_get_typedarray_info(env, argv[1], NULL, &len, &data, NULL, NULL) != napi_ok ||
      napi_get_typedarray_info(env, argv[2], NULL, &addr_len, &addr, NULL, NULL) != napi_ok ||
      napi_get_value_int32(env, argv[3], &name_len) != napi_ok || name_len <= 0 || (size_t)name_len > addr_len) {
    napi_throw_type_error(env, NULL, "udp-batch: send needs bytes, an address and its length");
    return NULL;
  }
  napi_value result;
  int ok = 0;
  if (!r->closing) {
    for (int attempt = 0; attempt < 2 && !ok; attempt++) {
      ssize_t rc;
      do rc = sendto(r->fd, data, len, MSG_DONTWAIT, (const struct sockaddr *)addr, (socklen_t)name_len);
      while (rc < 0 && errno == EINTR);
      if (rc >= 0) ok = 1;
      else if (attempt == 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) wait_writable(r->fd);
      else break;
    }
    r->counters[ok ? C_SENT : C_DROPPED] += 1;
  }
  CHECK(env, napi_get_boolean(env, ok, &result));
  return result;
}

static napi_value close_reader(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  reader_t *r = reader_call(env, info, 1, argv, "udp-batch: close(handle)");
  if (r == NULL) return NULL;
  start_close(r);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor methods[] = {
    { "attach", NULL, attach, NULL, NULL, NULL, napi_enumerable, NULL },
    { "send", NULL, send_one, NULL, NULL, NULL, napi_enumerable, NULL },
    { "close", NULL, close_reader, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  if (napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods) != napi_ok) return NULL;
  return exports;
}
