//
// hilbench: the Arm CMSDK APB timer for Renode 1.15.x, which has no model of it.
//
// mps2-an386 has two, TIMER0 at 0x40000000 (IRQ 8) and TIMER1 at 0x40001000 (IRQ 9):
// hilbench's firmware reads TIMER0 as its counter (targets/cortex-m4/counter_cmsdk_timer.c)
// and arms TIMER1 as its per-inference budget (budget_cmsdk_timer.c). Without this model both
// read as zero in Renode: every count is 0 and the budget never fires.
//
// Renode compiles this file when the .resc hilbench generates runs `include @<this file>`.
// Written against Renode's LimitTimer and IDoubleWordPeripheral API; it was not compiled where
// it was written (no Renode there): see targets/renode-mps2-an386/README.md.
//
// Registers (CMSDK TRM): CTRL 0x00 (bit 0 enable, bit 3 interrupt enable), VALUE 0x04,
// RELOAD 0x08, INTSTATUS (read) / INTCLEAR (write 1) 0x0C. VALUE counts down at `frequency`
// Hz of virtual time; at zero the interrupt is set, IRQ raised while CTRL bit 3 is set, and
// VALUE reloads from RELOAD.
//
using System;
using Antmicro.Renode.Core;
using Antmicro.Renode.Logging;
using Antmicro.Renode.Peripherals.Bus;
using Antmicro.Renode.Time;

namespace Antmicro.Renode.Peripherals.Timers
{
    public class HilbenchCmsdkTimer : IDoubleWordPeripheral, IKnownSize
    {
        public HilbenchCmsdkTimer(IMachine machine, long frequency)
        {
            this.machine = machine;
            IRQ = new GPIO();
            counter = new LimitTimer(machine.ClockSource, frequency, this, "counter",
                limit: uint.MaxValue, direction: Direction.Descending, enabled: false,
                workMode: WorkMode.Periodic, eventEnabled: true);
            counter.LimitReached += OnZero;
            Reset();
        }

        public GPIO IRQ { get; }

        public long Size => 0x1000;

        public void Reset()
        {
            counter.Reset();
            control = 0;
            reload = 0;
            interrupt = false;
            IRQ.Set(false);
        }

        public uint ReadDoubleWord(long offset)
        {
            switch((Register)offset)
            {
                case Register.Control:
                    return control;
                case Register.Value:
                    return CurrentValue();
                case Register.Reload:
                    return reload;
                case Register.Interrupt:
                    return interrupt ? 1u : 0u;
                default:
                    this.Log(LogLevel.Warning, "read from unimplemented offset 0x{0:X}", offset);
                    return 0;
            }
        }

        public void WriteDoubleWord(long offset, uint value)
        {
            switch((Register)offset)
            {
                case Register.Control:
                    control = value & ControlMask;
                    counter.Enabled = (control & EnableBit) != 0;
                    UpdateIrq();
                    break;
                case Register.Value:
                    counter.Value = value;
                    break;
                case Register.Reload:
                    reload = value;
                    counter.Limit = Math.Max(value, 1u);
                    break;
                case Register.Interrupt:
                    if((value & 1u) != 0)
                    {
                        interrupt = false;
                        UpdateIrq();
                    }
                    break;
                default:
                    this.Log(LogLevel.Warning, "write of 0x{0:X} to unimplemented offset 0x{1:X}", value, offset);
                    break;
            }
        }

        // Virtual time advances a quantum at a time; SyncTime() first brings it to the
        // instruction reading VALUE, so the value is exact to that instruction.
        private uint CurrentValue()
        {
            if(machine.SystemBus.TryGetCurrentCPU(out var cpu))
            {
                cpu.SyncTime();
            }
            return (uint)counter.Value;
        }

        private void OnZero()
        {
            interrupt = true;
            UpdateIrq();
        }

        private void UpdateIrq()
        {
            IRQ.Set(interrupt && (control & IrqEnableBit) != 0);
        }

        private readonly IMachine machine;
        private readonly LimitTimer counter;
        private uint control;
        private uint reload;
        private bool interrupt;

        private const uint EnableBit = 0x1;
        private const uint IrqEnableBit = 0x8;
        private const uint ControlMask = 0xF;

        private enum Register : long
        {
            Control = 0x00,
            Value = 0x04,
            Reload = 0x08,
            Interrupt = 0x0C,
        }
    }
}
