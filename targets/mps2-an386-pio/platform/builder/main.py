"""SCons build script of the hilbench-mps2 PlatformIO platform: the project's sources compiled
with the system's arm-none-eabi-gcc (Debian gcc-arm-none-eabi, on PATH; no toolchain
package is installed, nothing is downloaded), linked with the project's linker script
(board_build.ldscript) into firmware.elf. The project adds the target's flags
(hilbench_flags.py). `upload` runs the project's upload_command (QEMU with -serial pty for
the simulated board); with `-t nobuild` it uses the ELF already built."""
import os

from SCons.Script import COMMAND_LINE_TARGETS, AlwaysBuild, Default, DefaultEnvironment

env = DefaultEnvironment()

env.Replace(
    AR="arm-none-eabi-gcc-ar",
    AS="arm-none-eabi-as",
    CC="arm-none-eabi-gcc",
    CXX="arm-none-eabi-g++",
    GDB="gdb-multiarch",
    OBJCOPY="arm-none-eabi-objcopy",
    RANLIB="arm-none-eabi-gcc-ranlib",
    SIZETOOL="arm-none-eabi-size",
    ARFLAGS=["rc"],
    SIZEPROGREGEXP=r"^(?:\.isr_vector|\.text|\.rodata|\.data|\.ARM\.exidx|\.ARM\.extab)\s+(\d+).*",
    SIZEDATAREGEXP=r"^(?:\.data|\.bss|\.stack)\s+(\d+).*",
    SIZECHECKCMD="$SIZETOOL -A -d $SOURCES",
    SIZEPRINTCMD="$SIZETOOL -B -d $SOURCES",
    PROGNAME="firmware",
    PROGSUFFIX=".elf",
)

if "nobuild" in COMMAND_LINE_TARGETS:
    elf = env.File(os.path.join("$BUILD_DIR", "${PROGNAME}${PROGSUFFIX}"))
else:
    elf = env.BuildProgram()

AlwaysBuild(env.Alias("nobuild", elf))
buildprog = env.Alias("buildprog", elf)
AlwaysBuild(env.Alias("upload", elf, [env.VerboseAction("$UPLOADCMD", "Uploading $SOURCE")]))
Default([buildprog])
