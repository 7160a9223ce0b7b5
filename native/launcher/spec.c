/* Spawn specs: borrowed from a message for one SPAWN, or copied into one block for a process
 * whose releases the launcher makes on its own. */
#include <stdlib.h>
#include <string.h>

#include "launcher.h"

void spec_from_message(const struct message *message, struct spawn_spec *spec) {
  memset(spec, 0, sizeof *spec);
  spec->argv = message->args;
  spec->envp = message->envs;
  spec->cwd = message->cwd;
  spec->program_dir = message->program_dir;
  spec->program_name = message->program_name;
  spec->cgroup_count = message->cg_path_count;
  for (size_t i = 0; i < spec->cgroup_count; i++) {
    spec->cgroups[i].path = message->cg_paths[i];
    spec->cgroups[i].home = message->cg_homes[i];
    spec->cgroups[i].flags = message->cg_flags[i];
  }
  spec->cgroup_name = message->cg_name;
  spec->needs_cgroup = message->needs_cgroup != 0;
  spec->log_stdout = message->log_stdout;
  spec->log_stderr = message->log_stderr;
  spec->log_max_bytes = message->log_max_bytes;
  spec->grace_ms = message->grace_ms;
  spec->has_nice = HAS(message, F_NICE);
  spec->nice = (int)message->nice;
}

/* Sizes, then copies, every string and list into one allocation. */
struct copier {
  char *at;
  size_t size;
};

static const char *copy_text(struct copier *copier, const char *text) {
  if (text == NULL) return NULL;
  size_t length = strlen(text) + 1;
  if (copier->at == NULL) {
    copier->size += length;
    return NULL;
  }
  char *copy = copier->at;
  memcpy(copy, text, length);
  copier->at += length;
  return copy;
}

static size_t list_length(const char *const *list) {
  size_t count = 0;
  while (list && list[count]) count++;
  return count;
}

struct spawn_spec *spec_copy(const struct spawn_spec *spec) {
  size_t args = list_length(spec->argv), envs = list_length(spec->envp);
  struct copier sizing = {NULL, 0};
  for (size_t i = 0; i < args; i++) copy_text(&sizing, spec->argv[i]);
  for (size_t i = 0; i < envs; i++) copy_text(&sizing, spec->envp[i]);
  const char *texts[] = {spec->cwd, spec->program_dir, spec->program_name, spec->cgroup_name, spec->log_stdout, spec->log_stderr};
  for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) copy_text(&sizing, texts[i]);
  for (size_t i = 0; i < spec->cgroup_count; i++) {
    copy_text(&sizing, spec->cgroups[i].path);
    copy_text(&sizing, spec->cgroups[i].home);
  }
  size_t lists = (args + 1 + envs + 1) * sizeof(char *);
  char *block = xmalloc(sizeof(struct spawn_spec) + lists + sizing.size);
  struct spawn_spec *copy = (struct spawn_spec *)block;
  *copy = *spec;
  copy->owned = block;
  const char **argv = (const char **)(block + sizeof(struct spawn_spec));
  const char **envp = argv + args + 1;
  struct copier copier = {(char *)(envp + envs + 1), 0};
  for (size_t i = 0; i < args; i++) argv[i] = copy_text(&copier, spec->argv[i]);
  argv[args] = NULL;
  for (size_t i = 0; i < envs; i++) envp[i] = copy_text(&copier, spec->envp[i]);
  envp[envs] = NULL;
  copy->argv = argv;
  copy->envp = envp;
  copy->cwd = copy_text(&copier, spec->cwd);
  copy->program_dir = copy_text(&copier, spec->program_dir);
  copy->program_name = copy_text(&copier, spec->program_name);
  copy->cgroup_name = copy_text(&copier, spec->cgroup_name);
  copy->log_stdout = copy_text(&copier, spec->log_stdout);
  copy->log_stderr = copy_text(&copier, spec->log_stderr);
  for (size_t i = 0; i < spec->cgroup_count; i++) {
    copy->cgroups[i].path = copy_text(&copier, spec->cgroups[i].path);
    copy->cgroups[i].home = copy_text(&copier, spec->cgroups[i].home);
  }
  return copy;
}

void spec_free(struct spawn_spec *spec) {
  if (spec != NULL) free(spec->owned);
}
