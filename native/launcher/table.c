/* An open-addressing hash table from non-zero uint64 keys to pointers (processes by id, jobs by id). */
#include <stdlib.h>

#include "launcher.h"

static size_t slot_of(uint64_t key, size_t capacity) {
  key ^= key >> 33;
  key *= 0xff51afd7ed558ccdULL;
  key ^= key >> 33;
  return (size_t)(key & (capacity - 1));
}

static void grow(struct table *table) {
  size_t old_capacity = table->capacity;
  uint64_t *old_keys = table->keys;
  void **old_values = table->values;
  table->capacity = old_capacity ? old_capacity * 2 : 64;
  table->keys = xcalloc(table->capacity, sizeof *table->keys);
  table->values = xcalloc(table->capacity, sizeof *table->values);
  table->count = 0;
  for (size_t i = 0; i < old_capacity; i++) {
    if (old_keys[i] != 0) table_put(table, old_keys[i], old_values[i]);
  }
  free(old_keys);
  free(old_values);
}

void table_put(struct table *table, uint64_t key, void *value) {
  if ((table->count + 1) * 2 > table->capacity) grow(table);
  size_t slot = slot_of(key, table->capacity);
  while (table->keys[slot] != 0 && table->keys[slot] != key) slot = (slot + 1) & (table->capacity - 1);
  if (table->keys[slot] == 0) table->count++;
  table->keys[slot] = key;
  table->values[slot] = value;
}

void *table_get(const struct table *table, uint64_t key) {
  if (table->capacity == 0 || key == 0) return NULL;
  size_t slot = slot_of(key, table->capacity);
  while (table->keys[slot] != 0) {
    if (table->keys[slot] == key) return table->values[slot];
    slot = (slot + 1) & (table->capacity - 1);
  }
  return NULL;
}

void table_remove(struct table *table, uint64_t key) {
  if (table->capacity == 0 || key == 0) return;
  size_t slot = slot_of(key, table->capacity);
  while (table->keys[slot] != key) {
    if (table->keys[slot] == 0) return;
    slot = (slot + 1) & (table->capacity - 1);
  }
  table->keys[slot] = 0;
  table->values[slot] = NULL;
  table->count--;
  /* Re-insert the rest of the cluster so that lookups never stop at the hole. */
  size_t next = (slot + 1) & (table->capacity - 1);
  while (table->keys[next] != 0) {
    uint64_t moved_key = table->keys[next];
    void *moved_value = table->values[next];
    table->keys[next] = 0;
    table->values[next] = NULL;
    table->count--;
    table_put(table, moved_key, moved_value);
    next = (next + 1) & (table->capacity - 1);
  }
}

int table_next(const struct table *table, size_t *cursor, uint64_t *key, void **value) {
  while (*cursor < table->capacity) {
    size_t slot = (*cursor)++;
    if (table->keys[slot] != 0) {
      *key = table->keys[slot];
      *value = table->values[slot];
      return 1;
    }
  }
  return 0;
}
