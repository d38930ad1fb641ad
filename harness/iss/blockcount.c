/* Unicorn UC_HOOK_BLOCK callback that counts executed basic blocks in C.
 *
 * Built once per host by harness/iss/native.py (gcc -O2 -shared -fPIC) and loaded with
 * ctypes; the struct below is mirrored there as `CounterState`. Python only runs for rare
 * events: the first execution of a block (to decode it with Capstone and fill in its
 * instruction count and static cycles) and when the instruction budget is exceeded.
 *
 * Per executed block: find its slot in an open-addressing table keyed by (start, size),
 * count it, add its instructions and static cycles, and add the pipeline refill P when the
 * block does not start where the previous one ended (a taken branch, call or return).
 */
#include <stdint.h>

typedef void (*hb_new_block_fn)(uint64_t address, uint32_t size, uint64_t slot);
typedef void (*hb_stop_fn)(uint64_t reason);

struct hb_counter {
    uint64_t *keys;             /* address | size << 32, 0 = free slot */
    uint64_t *executions;       /* times each slot's block ran */
    uint64_t *block_insns;      /* instructions of each slot's block (set by on_new_block) */
    uint64_t *block_cycles;     /* static cycles of each slot's block (set by on_new_block) */
    uint64_t mask;              /* capacity - 1; capacity is a power of two */
    uint64_t used;              /* occupied slots */
    uint64_t instructions;      /* executed so far (whole blocks) */
    uint64_t cycles;            /* modelled so far (whole blocks + refills + dynamic extras) */
    uint64_t blocks;            /* block executions so far */
    uint64_t taken;             /* blocks entered other than by falling through */
    uint64_t fallthrough;       /* address right after the previous block */
    uint64_t refill;            /* P: cycles added per taken branch */
    uint64_t budget;            /* stop once instructions exceed this */
    uint64_t current;           /* slot of the block executing now */
    uint64_t stopped;           /* 0 running, 1 over budget, 2 table full */
    hb_new_block_fn on_new_block;
    hb_stop_fn on_stop;
};

static uint64_t hb_slot(struct hb_counter *c, uint64_t address, uint32_t size) {
    uint64_t key = address | ((uint64_t)size << 32);
    uint64_t i = ((key * 0x9E3779B97F4A7C15ull) >> 17) & c->mask;
    for (;;) {
        uint64_t k = c->keys[i];
        if (k == key) return i;
        if (k == 0) break;
        i = (i + 1) & c->mask;
    }
    if (2 * (c->used + 1) > c->mask + 1) return ~0ull;
    c->keys[i] = key;
    c->used++;
    c->on_new_block(address, size, i);
    return i;
}

void hb_block_hook(void *uc, uint64_t address, uint32_t size, void *user_data) {
    struct hb_counter *c = (struct hb_counter *)user_data;
    (void)uc;
    uint64_t i = hb_slot(c, address, size);
    if (i == ~0ull) {
        if (!c->stopped) {
            c->stopped = 2;
            c->on_stop(2);
        }
        return;
    }
    c->current = i;
    c->executions[i]++;
    c->blocks++;
    if (address != c->fallthrough) {
        c->taken++;
        c->cycles += c->refill;
    }
    c->fallthrough = address + size;
    c->instructions += c->block_insns[i];
    c->cycles += c->block_cycles[i];
    if (c->instructions > c->budget && !c->stopped) {
        c->stopped = 1;
        c->on_stop(1);
    }
}
