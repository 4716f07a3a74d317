package dev.daxfs.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading the machine out of /proc text, as x86 and ARM kernels write it. */
class MachineTest {

  @Test
  void cpuModelFromX86AndArmCpuinfo() {
    assertEquals("AMD EPYC 7B13 64-Core Processor", Machine.cpuModel(List.of(
        "processor\t: 0", "vendor_id\t: AuthenticAMD",
        "model\t\t: 1", "model name\t: AMD EPYC 7B13  64-Core Processor", "processor\t: 1",
        "model name\t: something else")));
    assertEquals("Raspberry Pi 4 Model B Rev 1.4", Machine.cpuModel(List.of(
        "processor\t: 0", "CPU part\t: 0xd08", "Model\t\t: Raspberry Pi 4 Model B Rev 1.4")));
    assertEquals("0xd0c", Machine.cpuModel(List.of("processor\t: 0", "CPU part\t: 0xd0c")));
    assertEquals(Machine.UNKNOWN, Machine.cpuModel(List.of("processor\t: 0", "model\t: 1")));
  }

  @Test
  void memTotalInBytes() {
    assertEquals(24_576_000L * 1024, Machine.memTotal(List.of(
        "MemFree:        1000 kB", "MemTotal:       24576000 kB")));
    assertEquals(0, Machine.memTotal(List.of("MemFree: 1 kB")));
    assertEquals(0, Machine.memTotal(List.of("MemTotal: lots kB")));
  }

  @Test
  void thisMachineDescribesItself() {
    Machine m = Machine.probe();
    assertEquals(Runtime.getRuntime().availableProcessors(), m.cores());
    assertTrue(m.memoryBytes() > 0, m.toString());
    String line = m.describe();
    assertTrue(line.startsWith(m.cores() + " core"), line);
    assertTrue(line.contains("GiB") && line.contains("Linux " + m.kernel()), line);
    assertTrue(line.contains(Runtime.version().toString()), line);
    assertEquals(List.of("cores", "memory_bytes", "kernel", "jdk", "cpu_model"),
        List.copyOf(m.toMap().keySet()));
  }
}
