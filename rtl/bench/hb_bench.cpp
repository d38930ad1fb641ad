// hb_bench -- stand-alone Verilator benchmark top for hb_soc.
//
//   hb_bench [--max-cycles N] [--quiet] program.elf
//
// Loads the PT_LOAD segments of a 32-bit little-endian RISC-V ELF into the
// SoC RAM through its loader port, releases reset and clocks the model until
// the firmware writes the EXIT register, the core halts on an unhandled trap,
// or N cycles have elapsed.  Bytes written to the PUTCHAR register go to
// stdout as they come.  The last line on stdout is always (except for
// usage/ELF errors, which print to stderr only):
//
//   HB_RESULT status=<exit|trap|timeout> exit_code=<int> mcycle=<u64>
//             minstret=<u64> cycles=<u64> sim_seconds=<float>
//             [cause=<u32> pc=0x<hex> tval=0x<hex>]          (one line)
//
// Process exit status: 0 program exited with code 0; 1 program exited with a
// non-zero code; 2 usage or ELF error; 3 cycle budget exceeded; 4 the core
// trapped (illegal instruction, misaligned access, ecall/ebreak without a
// handler).
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "Vhb_soc.h"
#include "verilated.h"

#ifndef HB_RAM_BYTES
#define HB_RAM_BYTES (4u * 1024u * 1024u)
#endif

enum ExitCode { EX_OK = 0, EX_PROGRAM_FAIL = 1, EX_USAGE = 2, EX_TIMEOUT = 3, EX_TRAP = 4 };

static const uint16_t EM_RISCV = 243;

struct Segment {
    uint32_t paddr;
    std::vector<uint8_t> bytes;  // p_filesz bytes (the rest up to p_memsz is zero)
    uint32_t memsz;
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

// Parse an ELF32 file; on error print a message and return false.
static bool load_elf(const char *path, std::vector<Segment> &segs, uint32_t &entry) {
    FILE *f = std::fopen(path, "rb");
    if (!f) {
        std::fprintf(stderr, "hb_bench: error: cannot open '%s': %s\n", path, std::strerror(errno));
        return false;
    }
    std::vector<uint8_t> img;
    uint8_t buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) img.insert(img.end(), buf, buf + n);
    std::fclose(f);

    if (img.size() < 52 || std::memcmp(img.data(), "\x7f" "ELF", 4) != 0) {
        std::fprintf(stderr, "hb_bench: error: '%s' is not an ELF file\n", path);
        return false;
    }
    const uint8_t ei_class = img[4], ei_data = img[5];
    // e_machine sits at the same offset (18) for ELF32 and ELF64
    const uint16_t machine = ei_data == 1 ? rd16(&img[18]) : (uint16_t)((img[18] << 8) | img[19]);
    if (ei_class != 1 || ei_data != 1 || machine != EM_RISCV) {
        std::fprintf(stderr,
                     "hb_bench: error: '%s' is not a 32-bit little-endian RISC-V ELF "
                     "(class=ELF%s, data=%s, e_machine=%u; need ELFCLASS32, little-endian, "
                     "EM_RISCV=243)\n",
                     path, ei_class == 1 ? "32" : ei_class == 2 ? "64" : "?",
                     ei_data == 1 ? "LE" : "BE", machine);
        return false;
    }
    entry = rd32(&img[24]);
    const uint32_t phoff = rd32(&img[28]);
    const uint16_t phentsize = rd16(&img[42]), phnum = rd16(&img[44]);
    if (phnum == 0 || phentsize < 32 || (uint64_t)phoff + (uint64_t)phnum * phentsize > img.size()) {
        std::fprintf(stderr, "hb_bench: error: '%s': bad or missing program headers\n", path);
        return false;
    }
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = &img[phoff + i * phentsize];
        if (rd32(ph) != 1) continue;  // PT_LOAD only
        const uint32_t offset = rd32(ph + 4), paddr = rd32(ph + 12);
        const uint32_t filesz = rd32(ph + 16), memsz = rd32(ph + 20);
        if (memsz == 0) continue;
        if ((uint64_t)offset + filesz > img.size() || filesz > memsz) {
            std::fprintf(stderr, "hb_bench: error: '%s': segment %u is truncated\n", path, i);
            return false;
        }
        if ((uint64_t)paddr + memsz > HB_RAM_BYTES) {
            std::fprintf(stderr,
                         "hb_bench: error: '%s': segment %u [0x%08x, 0x%08" PRIx64
                         ") does not fit the %u-byte RAM\n",
                         path, i, paddr, (uint64_t)paddr + memsz, (unsigned)HB_RAM_BYTES);
            return false;
        }
        Segment s;
        s.paddr = paddr;
        s.memsz = memsz;
        s.bytes.assign(img.begin() + offset, img.begin() + offset + filesz);
        segs.push_back(std::move(s));
    }
    if (segs.empty()) {
        std::fprintf(stderr, "hb_bench: error: '%s' has no PT_LOAD segment\n", path);
        return false;
    }
    return true;
}

static void usage() {
    std::fprintf(stderr,
                 "usage: hb_bench [--max-cycles N] [--quiet] program.elf\n"
                 "  --max-cycles N  stop with status=timeout (exit 3) after N cycles\n"
                 "                  (default 10000000000, 0 = no limit)\n"
                 "  --quiet         do not forward the program's putchar output\n");
}

int main(int argc, char **argv) {
    uint64_t max_cycles = 10000000000ull;
    bool quiet = false;
    const char *elf = nullptr;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--max-cycles" && i + 1 < argc) {
            char *end = nullptr;
            max_cycles = std::strtoull(argv[++i], &end, 0);
            if (!end || *end) {
                std::fprintf(stderr, "hb_bench: error: bad --max-cycles value '%s'\n", argv[i]);
                return EX_USAGE;
            }
        } else if (a.rfind("--max-cycles=", 0) == 0) {
            max_cycles = std::strtoull(a.c_str() + 13, nullptr, 0);
        } else if (a == "--quiet") {
            quiet = true;
        } else if (a == "-h" || a == "--help") {
            usage();
            return EX_OK;
        } else if (a.size() > 1 && a[0] == '-' && a[1] != '\0' && a[1] != '+') {
            std::fprintf(stderr, "hb_bench: error: unknown option '%s'\n", a.c_str());
            usage();
            return EX_USAGE;
        } else if (a[0] == '+') {
            // plusargs are left to Verilator
        } else if (!elf) {
            elf = argv[i];
        } else {
            usage();
            return EX_USAGE;
        }
    }
    if (!elf) {
        usage();
        return EX_USAGE;
    }

    std::vector<Segment> segs;
    uint32_t entry = 0;
    if (!load_elf(elf, segs, entry)) return EX_USAGE;
    if (entry != 0) {
        std::fprintf(stderr, "hb_bench: error: '%s': entry point 0x%08x, the core starts at 0x0 "
                     "(link with rtl/sw/link.ld)\n", elf, entry);
        return EX_USAGE;
    }

    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    auto top = std::make_unique<Vhb_soc>(ctx.get());

    // reset + load the image through the loader port (one word per cycle)
    auto tick = [&]() {
        top->clk = 0;
        top->eval();
        top->clk = 1;
        top->eval();
    };
    top->rst = 1;
    top->ld_en = 0;
    tick();
    for (const Segment &s : segs) {
        uint32_t first = s.paddr & ~3u;
        uint32_t last = s.paddr + (uint32_t)s.bytes.size();
        for (uint32_t a = first; a < last; a += 4) {
            uint32_t w = 0;
            for (uint32_t b = 0; b < 4; b++) {
                uint32_t addr = a + b;
                if (addr >= s.paddr && addr < last) w |= (uint32_t)s.bytes[addr - s.paddr] << (8 * b);
            }
            top->ld_en = 1;
            top->ld_addr = a >> 2;
            top->ld_data = w;
            tick();
        }
    }
    top->ld_en = 0;
    tick();
    top->rst = 0;

    // run
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t cycles = 0;
    bool last_nl = true, wrote = false;
    const char *status = "timeout";
    while (max_cycles == 0 || cycles < max_cycles) {
        top->clk = 0;
        top->eval();
        if (top->putc_valid) {
            const char c = (char)top->putc_data;
            if (!quiet) {
                std::fputc(c, stdout);
                last_nl = c == '\n';
                wrote = true;
            }
        }
        top->clk = 1;
        top->eval();
        cycles++;
        if (top->exit_valid) { status = "exit"; break; }
        if (top->trapped) { status = "trap"; break; }
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (wrote && !last_nl) std::fputc('\n', stdout);

    const int32_t code = (int32_t)top->exit_code;
    std::printf("HB_RESULT status=%s exit_code=%d mcycle=%" PRIu64 " minstret=%" PRIu64
                " cycles=%" PRIu64 " sim_seconds=%.6f",
                status, std::strcmp(status, "exit") == 0 ? code : -1,
                (uint64_t)top->mcycle, (uint64_t)top->minstret, cycles, secs);
    int rc;
    if (std::strcmp(status, "exit") == 0) {
        rc = code == 0 ? EX_OK : EX_PROGRAM_FAIL;
    } else if (std::strcmp(status, "trap") == 0) {
        std::printf(" cause=%u pc=0x%08x tval=0x%08x", top->trap_cause, top->trap_pc,
                    top->trap_tval);
        rc = EX_TRAP;
    } else {
        rc = EX_TIMEOUT;
    }
    std::printf("\n");
    std::fflush(stdout);
    if (rc == EX_TRAP) {
        const char *what = top->trap_cause == 2   ? "illegal instruction"
                           : top->trap_cause == 0 ? "misaligned instruction address"
                           : top->trap_cause == 4 ? "misaligned load address"
                           : top->trap_cause == 6 ? "misaligned store address"
                           : top->trap_cause == 3 ? "ebreak"
                           : top->trap_cause == 11 ? "ecall"
                                                   : "trap";
        std::fprintf(stderr,
                     "hb_bench: error: core halted on an unhandled trap: %s (mcause=%u) at "
                     "pc=0x%08x (mtval=0x%08x)\n",
                     what, top->trap_cause, top->trap_pc, top->trap_tval);
    } else if (rc == EX_TIMEOUT) {
        std::fprintf(stderr,
                     "hb_bench: error: cycle budget exceeded: no exit after %" PRIu64
                     " cycles (--max-cycles); pc=0x%08x\n",
                     cycles, top->pc);
    }
    top->final();
    return rc;
}
