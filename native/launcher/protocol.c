/* The launcher's side of the wire format: one parser for every incoming message, and a capped
 * buffer that outgoing frames are written into. */
#include "protocol.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static uint64_t read_u64(const uint8_t *at) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; i--) value = (value << 8) | at[i];
  return value;
}

static uint32_t read_u32(const uint8_t *at) {
  return (uint32_t)at[0] | ((uint32_t)at[1] << 8) | ((uint32_t)at[2] << 16) | ((uint32_t)at[3] << 24);
}

/* A string field: its NUL terminator last, no NUL before it. */
static const char *as_string(const uint8_t *value, uint32_t length) {
  if (length == 0 || value[length - 1] != 0) return NULL;
  if (memchr(value, 0, length - 1) != NULL) return NULL;
  return (const char *)value;
}

static int append(const char **list, size_t *count, size_t capacity, const char *value) {
  if (*count >= capacity) return -1;
  list[(*count)++] = value;
  return 0;
}

int parse_message(const uint8_t *payload, size_t length, struct message *out, const char **error) {
  /* Clearing the lists too would write 1 MiB for every message, an acknowledgement as well. */
  memset(out, 0, offsetof(struct message, args));
  out->args[0] = NULL;
  out->envs[0] = NULL;
  if (length < 1) {
    *error = "empty message";
    return -1;
  }
  out->type = payload[0];
  size_t at = 1;
  while (at < length) {
    if (length - at < 5) {
      *error = "truncated field header";
      return -1;
    }
    uint8_t tag = payload[at];
    uint32_t field_length = read_u32(payload + at + 1);
    at += 5;
    if (field_length > length - at) {
      *error = "field longer than the message";
      return -1;
    }
    const uint8_t *value = payload + at;
    at += field_length;
    uint64_t number = 0;
    const char *text = NULL;
    switch (tag) {
      case F_NODE_ID:
      case F_CWD:
      case F_PROGRAM_DIR:
      case F_PROGRAM_NAME:
      case F_CG_NAME:
      case F_LOG_STDOUT:
      case F_LOG_STDERR:
      case F_ARG:
      case F_ENV:
      case F_CG_PATH:
      case F_CG_HOME:
        text = as_string(value, field_length);
        if (text == NULL) {
          *error = "a string field is not NUL-terminated or holds a NUL";
          return -1;
        }
        break;
      default:
        if (tag < 64) {
          if (field_length != 8) {
            /* An unknown tag of any length is skipped; a known number must have 8 bytes. */
            if (tag <= F_FENCE_MS) {
              *error = "a number field is not 8 bytes";
              return -1;
            }
            continue;
          }
          number = read_u64(value);
        }
        break;
    }
    switch (tag) {
      case F_REQ_ID: out->req_id = number; break;
      case F_VERSION: out->version = number; break;
      case F_REPLACE: out->replace = number; break;
      case F_PROCESS_ID: out->process_id = number; break;
      case F_NEEDS_CGROUP: out->needs_cgroup = number; break;
      case F_LOG_MAX_BYTES: out->log_max_bytes = number; break;
      case F_GRACE_MS: out->grace_ms = number; break;
      case F_RELEASE_AT_NS: out->release_at_ns = number; break;
      case F_NICE: out->nice = (int64_t)number; break;
      case F_T0_NS: out->t0_ns = number; break;
      case F_PERIOD_NS: out->period_ns = number; break;
      case F_NEXT_INDEX: out->next_index = number; break;
      case F_AUTO: out->autospawn = number; break;
      case F_JOB_ID: out->job_id = number; break;
      case F_SIGNO: out->signo = number; break;
      case F_SEQ: out->seq = number; break;
      case F_STANDBY: out->standby = number; break;
      case F_FENCE_MS: out->fence_ms = number; break;
      case F_NODE_ID: out->node_id = text; break;
      case F_CWD: out->cwd = text; break;
      case F_PROGRAM_DIR: out->program_dir = text; break;
      case F_PROGRAM_NAME: out->program_name = text; break;
      case F_CG_NAME: out->cg_name = text; break;
      case F_LOG_STDOUT: out->log_stdout = text; break;
      case F_LOG_STDERR: out->log_stderr = text; break;
      case F_ARG:
        if (append(out->args, &out->arg_count, MAX_LIST_ITEMS, text) != 0) {
          *error = "too many arguments";
          return -1;
        }
        break;
      case F_ENV:
        if (append(out->envs, &out->env_count, MAX_LIST_ITEMS, text) != 0) {
          *error = "too many environment variables";
          return -1;
        }
        break;
      case F_CG_PATH:
        if (append(out->cg_paths, &out->cg_path_count, MAX_CGROUP_ENTRIES, text) != 0) {
          *error = "too many cgroup entries";
          return -1;
        }
        break;
      case F_CG_HOME:
        if (append(out->cg_homes, &out->cg_home_count, MAX_CGROUP_ENTRIES, text) != 0) {
          *error = "too many cgroup entries";
          return -1;
        }
        break;
      case F_CG_FLAGS:
        if (out->cg_flags_count >= MAX_CGROUP_ENTRIES) {
          *error = "too many cgroup entries";
          return -1;
        }
        out->cg_flags[out->cg_flags_count++] = number;
        break;
      default:
        continue; /* unknown: skipped, so that a newer daemon can add fields */
    }
    if (tag < 64) out->present |= (uint64_t)1 << tag;
  }
  out->args[out->arg_count] = NULL;
  out->envs[out->env_count] = NULL;
  if (out->cg_path_count != out->cg_home_count || out->cg_path_count != out->cg_flags_count) {
    *error = "cgroup entries need a path, a home and flags each";
    return -1;
  }
  return 0;
}

void out_init(struct out_buffer *buffer, size_t limit) {
  memset(buffer, 0, sizeof *buffer);
  buffer->limit = limit;
}

void out_free(struct out_buffer *buffer) {
  free(buffer->data);
  memset(buffer, 0, sizeof *buffer);
}

static void reserve(struct out_buffer *buffer, size_t more) {
  if (buffer->overflow) return;
  if (buffer->length + more > buffer->limit) {
    buffer->overflow = 1;
    return;
  }
  if (buffer->length + more <= buffer->capacity) return;
  size_t capacity = buffer->capacity ? buffer->capacity : 4096;
  while (capacity < buffer->length + more) capacity *= 2;
  uint8_t *grown = realloc(buffer->data, capacity);
  if (grown == NULL) {
    buffer->overflow = 1;
    return;
  }
  buffer->data = grown;
  buffer->capacity = capacity;
}

static void put_bytes(struct out_buffer *buffer, const void *bytes, size_t count) {
  reserve(buffer, count);
  if (buffer->overflow) return;
  memcpy(buffer->data + buffer->length, bytes, count);
  buffer->length += count;
}

static void put_u32(struct out_buffer *buffer, uint32_t value) {
  uint8_t bytes[4] = {(uint8_t)value, (uint8_t)(value >> 8), (uint8_t)(value >> 16), (uint8_t)(value >> 24)};
  put_bytes(buffer, bytes, 4);
}

void out_begin(struct out_buffer *buffer, uint8_t type) {
  buffer->frame_start = buffer->length;
  put_u32(buffer, 0);
  put_bytes(buffer, &type, 1);
}

void out_u64(struct out_buffer *buffer, uint8_t tag, uint64_t value) {
  uint8_t bytes[8];
  for (int i = 0; i < 8; i++) bytes[i] = (uint8_t)(value >> (8 * i));
  put_bytes(buffer, &tag, 1);
  put_u32(buffer, 8);
  put_bytes(buffer, bytes, 8);
}

void out_i64(struct out_buffer *buffer, uint8_t tag, int64_t value) {
  out_u64(buffer, tag, (uint64_t)value);
}

void out_str(struct out_buffer *buffer, uint8_t tag, const char *value) {
  size_t length = strlen(value) + 1;
  put_bytes(buffer, &tag, 1);
  put_u32(buffer, (uint32_t)length);
  put_bytes(buffer, value, length);
}

void out_end(struct out_buffer *buffer) {
  if (buffer->overflow) return;
  uint32_t payload = (uint32_t)(buffer->length - buffer->frame_start - 4);
  uint8_t *at = buffer->data + buffer->frame_start;
  at[0] = (uint8_t)payload;
  at[1] = (uint8_t)(payload >> 8);
  at[2] = (uint8_t)(payload >> 16);
  at[3] = (uint8_t)(payload >> 24);
}

void out_consume(struct out_buffer *buffer, size_t count) {
  if (count >= buffer->length) {
    buffer->length = 0;
    return;
  }
  memmove(buffer->data, buffer->data + count, buffer->length - count);
  buffer->length -= count;
}
