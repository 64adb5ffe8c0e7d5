/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-ipc: the wire format between libsdvm (client) and sdvmd (server), sdvm-ipc(7).
 *
 * A UNIX stream socket carries frames:
 *
 *     u32 length   payload bytes after this 8-byte header (<= SDVM_IPC_MAX_PAYLOAD)
 *     u16 type     enum sdvm_ipc_type
 *     u16 flags    0 in protocol version 1
 *     payload      fields: u16 tag, u16 length, value; integers little-endian
 *
 * Everything is bounded (frame size, each string, the image count) and checked on decode:
 * a decoder never trusts a length, never reads past the buffer, and rejects what the
 * protocol does not allow (wrong direction, missing or repeated fields, bad UTF-8, values
 * out of range). Unknown field tags are skipped, so fields can be added within a version.
 *
 * Secrets: the LOGIN password lives in the connection's input buffer and in the decoded
 * message only; sdvm_ipc_conn_next() wipes the consumed bytes, sdvm_ipc_msg_clear() wipes
 * every decoded string, and buffers are wiped before they are grown or freed.
 *
 * This is an internal static library (no ABI promise), used by libsdvm and sdvmd.
 */
#ifndef SDVM_IPC_H
#define SDVM_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "sdvm-failure.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SDVM_IPC_VERSION 1 /* the protocol version this library speaks */

#define SDVM_IPC_HEADER_SIZE 8
#define SDVM_IPC_MAX_PAYLOAD 65536
#define SDVM_IPC_MAX_FRAME (SDVM_IPC_HEADER_SIZE + SDVM_IPC_MAX_PAYLOAD)

/* Bounds of each string, in bytes (UTF-8, no NUL). */
#define SDVM_IPC_MAX_NAI 253 /* RFC 7542 */
#define SDVM_IPC_MAX_PASSWORD 1024
#define SDVM_IPC_MAX_IMAGE_ID 64 /* [A-Za-z0-9._-]+ */
#define SDVM_IPC_MAX_IMAGE_NAME 128
#define SDVM_IPC_MAX_OS_TYPE 32
#define SDVM_IPC_MAX_COMMENT 256
#define SDVM_IPC_MAX_REASON 256
#define SDVM_IPC_MAX_HOSTNAME 255
#define SDVM_IPC_MAX_TEXT 1024   /* message text, detail, error text */
#define SDVM_IPC_MAX_CONTACT 256 /* institution, helpdesk e-mail, phone, URL */
#define SDVM_IPC_MAX_SOFTWARE 64
#define SDVM_IPC_MAX_IMAGES 64

enum sdvm_ipc_type {
    /* Requests: client -> server. */
    SDVM_IPC_HELLO = 0x0001,
    SDVM_IPC_LOGIN = 0x0002,
    SDVM_IPC_CANCEL = 0x0003,
    SDVM_IPC_POWER = 0x0004,
    /* Events: server -> client (bit 15 set). */
    SDVM_IPC_EV_HELLO = 0x8001,
    SDVM_IPC_EV_PROGRESS = 0x8002,
    SDVM_IPC_EV_MESSAGE = 0x8003,
    SDVM_IPC_EV_FINISHED = 0x8004,
    SDVM_IPC_EV_LAUNCHING = 0x8005,
    SDVM_IPC_EV_IMAGES = 0x8006,
    SDVM_IPC_EV_ERROR = 0x8007,
};

/* Field tags (sdvm-ipc(7) lists which message carries which). */
enum sdvm_ipc_tag {
    SDVM_IPC_TAG_VERSION = 1,
    SDVM_IPC_TAG_OP = 2,
    SDVM_IPC_TAG_NAI = 3,
    SDVM_IPC_TAG_PASSWORD = 4,
    SDVM_IPC_TAG_IMAGE_ID = 5,
    SDVM_IPC_TAG_POWER_ACTION = 6,
    SDVM_IPC_TAG_HOSTNAME = 7,
    SDVM_IPC_TAG_POWER_MASK = 8,
    SDVM_IPC_TAG_IMAGE = 9, /* a group: the image fields below, nested */
    SDVM_IPC_TAG_STAGE = 10,
    SDVM_IPC_TAG_IS_ERROR = 11,
    SDVM_IPC_TAG_TEXT = 12,
    SDVM_IPC_TAG_FAILURE = 13,
    SDVM_IPC_TAG_DETAIL = 14,
    SDVM_IPC_TAG_RETRY_AFTER = 15,
    SDVM_IPC_TAG_INSTITUTION = 16,
    SDVM_IPC_TAG_HELPDESK_EMAIL = 17,
    SDVM_IPC_TAG_HELPDESK_PHONE = 18,
    SDVM_IPC_TAG_HELPDESK_URL = 19,
    SDVM_IPC_TAG_SOFTWARE = 20,
};

/* Fields inside an IMAGE group. */
enum sdvm_ipc_image_tag {
    SDVM_IPC_IMAGE_ID = 1,
    SDVM_IPC_IMAGE_NAME = 2,
    SDVM_IPC_IMAGE_OS_TYPE = 3,
    SDVM_IPC_IMAGE_COMMENT = 4,
    SDVM_IPC_IMAGE_DEFAULT = 5,
    SDVM_IPC_IMAGE_AVAILABLE = 6,
    SDVM_IPC_IMAGE_REASON = 7,
    SDVM_IPC_IMAGE_STATUS = 8, /* u32 enum sdvm_image_status; only when AVAILABLE is 0 */
};

struct sdvm_ipc_image {
    const char *id;
    const char *name;
    const char *os_type;
    const char *comment; /* may be NULL (sent as absent) */
    bool is_default;
    bool available;
    const char *unavailable_reason; /* may be NULL */
    uint32_t status; /* enum sdvm_image_status: why unavailable; 0 when available or unknown
                        (sent as absent) */
};

/*
 * One message, requests and events alike; which fields matter depends on type. Decoded
 * messages own their strings (free with sdvm_ipc_msg_clear()); messages to encode only
 * borrow them. Optional strings are NULL when absent.
 */
struct sdvm_ipc_msg {
    enum sdvm_ipc_type type;
    uint32_t version;      /* HELLO, EV_HELLO */
    const char *software;  /* HELLO, EV_HELLO: "libsdvm 0.1.0" (optional) */
    uint64_t op;           /* LOGIN, CANCEL, EV_PROGRESS, EV_MESSAGE (0: no login),
                              EV_FINISHED, EV_LAUNCHING, EV_ERROR (optional, 0) */
    const char *nai;       /* LOGIN */
    const char *password;  /* LOGIN: a secret, see sdvm_ipc_msg_clear() */
    const char *image_id;  /* LOGIN */
    uint32_t power_action; /* POWER: one enum sdvm_power_action bit */
    const char *hostname;  /* EV_HELLO (required), EV_IMAGES (optional) */
    bool has_power_mask;   /* EV_HELLO: always; EV_IMAGES: optional */
    uint32_t power_mask;
    struct sdvm_ipc_image *images; /* EV_HELLO, EV_IMAGES */
    size_t n_images;
    uint32_t stage;          /* EV_PROGRESS: enum sdvm_stage */
    bool is_error;           /* EV_MESSAGE */
    const char *text;        /* EV_MESSAGE, EV_ERROR */
    uint32_t failure;        /* EV_FINISHED (never 0), EV_ERROR: enum sdvm_failure */
    const char *detail;      /* EV_FINISHED, optional */
    uint32_t retry_after_s;  /* EV_FINISHED, optional (0) */
    const char *institution; /* EV_FINISHED, optional */
    const char *helpdesk_email;
    const char *helpdesk_phone;
    const char *helpdesk_url;
};

/* Why a decode failed; the text never contains a field's value. */
struct sdvm_ipc_error {
    char text[160];
};

const char *sdvm_ipc_type_to_string(enum sdvm_ipc_type type); /* "LOGIN", "EV_FINISHED" */
bool sdvm_ipc_type_is_request(uint16_t type);
bool sdvm_ipc_type_is_event(uint16_t type);

/*
 * Would s pass as the value of field tag (an enum sdvm_ipc_tag string field)? 0, -EMSGSIZE
 * (over its bound), -EINVAL (empty where it may not be, bad characters, not UTF-8, or tag is
 * not a string field). Lets a client refuse a value before it builds a message.
 */
int sdvm_ipc_check_string(enum sdvm_ipc_tag tag, const char *s);

/*
 * Wipe a decoded LOGIN's password in place (explicit_bzero), as soon as it has been handed
 * on; the pointer stays valid (an empty string). sdvm_ipc_msg_clear() wipes it again.
 */
void sdvm_ipc_msg_wipe_password(struct sdvm_ipc_msg *msg);

/* Wipe (explicit_bzero) and free every string and the image array of a decoded message. */
void sdvm_ipc_msg_clear(struct sdvm_ipc_msg *msg);

/* ---- buffers -------------------------------------------------------------------------- */

struct sdvm_ipc_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
};

/* Make room for n more bytes; the old storage is wiped before it is freed. */
int sdvm_ipc_buf_reserve(struct sdvm_ipc_buf *buf, size_t n);
/* Drop the first n bytes; the freed tail is wiped. */
void sdvm_ipc_buf_consume(struct sdvm_ipc_buf *buf, size_t n);
/* Wipe and free. */
void sdvm_ipc_buf_free(struct sdvm_ipc_buf *buf);

/* ---- frames --------------------------------------------------------------------------- */

struct sdvm_ipc_frame {
    uint16_t type;
    const uint8_t *payload;
    size_t payload_len;
    size_t frame_len; /* header + payload */
};

/*
 * Look at the start of data: 1 and *frame when a whole frame is there, 0 when more bytes
 * are needed, -EMSGSIZE (length over the bound), -EBADMSG (flags set) or -EPROTO (unknown
 * type) when the stream is garbage and the connection must be closed.
 */
int sdvm_ipc_frame_parse(const uint8_t *data, size_t len, struct sdvm_ipc_frame *frame,
                         struct sdvm_ipc_error *err);

/*
 * Append msg as one frame to out. Checks msg against the same rules as the decoder
 * (-EINVAL: a required field missing or a value out of range; -EMSGSIZE: a string or the
 * frame over its bound; -ENOMEM). On failure out is unchanged (and wiped past its end).
 */
int sdvm_ipc_encode(const struct sdvm_ipc_msg *msg, struct sdvm_ipc_buf *out);

/*
 * Decode one frame's payload into *msg (zeroed first; clear it afterwards, also on error).
 * Returns 0, -EBADMSG (malformed: the text in *err says why), -ENOMEM.
 */
int sdvm_ipc_decode(uint16_t type, const uint8_t *payload, size_t len, struct sdvm_ipc_msg *msg,
                    struct sdvm_ipc_error *err);

/* ---- connections ---------------------------------------------------------------------- */

enum sdvm_ipc_side {
    SDVM_IPC_SIDE_CLIENT, /* receives events, sends requests */
    SDVM_IPC_SIDE_SERVER, /* receives requests, sends events */
};

/* A non-blocking stream socket with its input and output buffers. */
struct sdvm_ipc_conn {
    int fd;
    enum sdvm_ipc_side side;
    struct sdvm_ipc_buf in;
    struct sdvm_ipc_buf out;
};

void sdvm_ipc_conn_init(struct sdvm_ipc_conn *conn, int fd, enum sdvm_ipc_side side);
/* Wipe and free the buffers and close the fd (if >= 0). */
void sdvm_ipc_conn_close(struct sdvm_ipc_conn *conn);

/*
 * Read what the socket has (never blocks, never holds more than one frame's worth beyond
 * what sdvm_ipc_conn_next() has not consumed). 0 on success (also when nothing was there),
 * -EPIPE when the peer closed, -errno otherwise.
 */
int sdvm_ipc_conn_fill(struct sdvm_ipc_conn *conn);

/*
 * Decode the next whole message from the input buffer: 1 and *msg (clear it afterwards),
 * 0 when no whole frame is buffered, or a negative errno when the peer sent garbage:
 * -EMSGSIZE, -EBADMSG, -EPROTO (also for a message of the wrong direction). The consumed
 * bytes are wiped from the buffer in every case.
 */
int sdvm_ipc_conn_next(struct sdvm_ipc_conn *conn, struct sdvm_ipc_msg *msg,
                       struct sdvm_ipc_error *err);

/* Encode msg into the output buffer (see sdvm_ipc_encode); nothing is written yet. */
int sdvm_ipc_conn_queue(struct sdvm_ipc_conn *conn, const struct sdvm_ipc_msg *msg);
/* Queue an EV_ERROR with failure, op (0: none) and text (truncated to its bound). */
int sdvm_ipc_conn_queue_error(struct sdvm_ipc_conn *conn, enum sdvm_failure failure, uint64_t op,
                              const char *text);
/* Write what the socket takes now: 0 all written, -EAGAIN some left, -EPIPE, -errno. */
int sdvm_ipc_conn_flush(struct sdvm_ipc_conn *conn);
/* Write everything, waiting up to timeout_ms: 0, -ETIMEDOUT, -EPIPE, -errno. */
int sdvm_ipc_conn_flush_wait(struct sdvm_ipc_conn *conn, int timeout_ms);
static inline bool
sdvm_ipc_conn_has_output(const struct sdvm_ipc_conn *conn)
{
    return conn->out.len > 0;
}

/* ---- sockets -------------------------------------------------------------------------- */

/* Connect to path (non-blocking, close-on-exec): the fd or -errno (-ENAMETOOLONG, ...). */
int sdvm_ipc_connect(const char *path);

/*
 * Listen on path: a stale socket file there is replaced (anything else there is left alone:
 * -EEXIST); the socket gets mode (e.g. 0660). Returns the listening fd (non-blocking,
 * close-on-exec) or -errno.
 */
int sdvm_ipc_listen(const char *path, mode_t mode, int backlog);
/* Accept one client (non-blocking, close-on-exec): the fd or -errno (-EAGAIN: none). */
int sdvm_ipc_accept(int listen_fd);

/*
 * The peer's credentials (SO_PEERCRED) and whether it may talk to sdvmd: root, or one of
 * the n allowed uids (the greeter's user). 0 allowed, -EACCES not allowed, -errno when the
 * credentials cannot be read. *cred (if not NULL) is filled in both of the first cases.
 */
int sdvm_ipc_peer_check(int fd, const uid_t *allowed, size_t n, struct ucred *cred);

#ifdef __cplusplus
}
#endif

#endif
