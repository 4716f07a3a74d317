package dev.daxfs.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The radix block map against a sorted map of the same entries. */
class BlockMapProperties {

  /** One step: op 0 set, 1 clear range, 2 shift, 3 set far away. */
  record Step(int op, long a, long b) {}

  @Provide
  Arbitrary<List<Step>> steps() {
    Arbitrary<Step> step = Combinators.combine(
        Arbitraries.integers().between(0, 3),
        Arbitraries.longs().between(0, 3000),
        Arbitraries.longs().between(0, 1500)).as(Step::new);
    return step.list().ofMaxSize(60);
  }

  @Property(tries = 300)
  void behavesLikeASortedMap(@ForAll("steps") List<Step> steps) {
    BlockMap map = new BlockMap(true);
    TreeMap<Long, Long> model = new TreeMap<>();
    long next = 100;
    for (Step s : steps) {
      switch (s.op()) {
        case 0 -> {
          long e = next++ | (s.b() % 3 == 0 ? BlockMap.UNWRITTEN : 0);
          map.set(s.a(), e, (int) (e & BlockMap.BLOCK_MASK));
          model.put(s.a(), e);
        }
        case 1 -> {
          long to = s.a() + s.b();
          List<Long> removed = new ArrayList<>();
          map.clear(s.a(), to, (p, e) -> removed.add(p));
          assertEquals(new ArrayList<>(model.subMap(s.a(), to).keySet()), removed);
          model.subMap(s.a(), to).clear();
        }
        case 2 -> {
          long from = s.a();
          long delta = s.b() - 700;
          if (from + delta < 0) {
            break;
          }
          if (delta < 0 && !model.subMap(from + delta, from).isEmpty()) {
            break;
          }
          map.shift(from, delta);
          TreeMap<Long, Long> moved = new TreeMap<>();
          for (Map.Entry<Long, Long> e : model.tailMap(from).entrySet()) {
            moved.put(e.getKey() + delta, e.getValue());
          }
          model.tailMap(from).clear();
          model.putAll(moved);
        }
        default -> {
          long page = (1L << 30) + s.a() * 1_000_003L;
          map.set(page, next, (int) next);
          model.put(page, next++);
        }
      }
      assertEquals(model.size(), map.mappedPages());
      List<Long> seen = new ArrayList<>();
      map.forEach(0, Long.MAX_VALUE, (p, e) -> {
        seen.add(p);
        assertEquals(model.get(p), e);
        // Every entry was set with its own value as checksum; shifts carry checksums along.
        assertEquals((int) (e & BlockMap.BLOCK_MASK), map.crc(p));
      });
      assertEquals(new ArrayList<>(model.keySet()), seen);
      assertEquals(model.isEmpty() ? -1 : model.lastKey(), map.lastMapped());
      long probe = s.a();
      Long ceil = model.ceilingKey(probe);
      assertEquals(ceil == null ? -1 : ceil, map.nextMapped(probe));
      long hole = probe;
      while (model.containsKey(hole)) {
        hole++;
      }
      assertEquals(hole, map.nextHole(probe));
      assertEquals(model.getOrDefault(probe, 0L), map.get(probe));
    }
  }
}
