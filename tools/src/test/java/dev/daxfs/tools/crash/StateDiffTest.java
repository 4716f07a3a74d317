package dev.daxfs.tools.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class StateDiffTest {

  private static FsState file(byte[] content, SortedMap<Long, long[]> pending) {
    TreeMap<String, FsState.Entry> m = new TreeMap<>();
    m.put("", new FsState.Entry(FsState.S_IFDIR, 0755, 0, 0, 2, FsState.DIR_SIZE, 0, "", null,
        Collections.emptySortedMap(), new byte[0], Collections.emptySortedMap(),
        FsState.UNKNOWN_TIME, FsState.UNKNOWN_TIME));
    m.put("f", new FsState.Entry(FsState.S_IFREG, 0644, 0, 0, 1, content.length, 0, "f", null,
        Collections.emptySortedMap(), content, pending, FsState.UNKNOWN_TIME,
        FsState.UNKNOWN_TIME));
    return new FsState(m);
  }

  private static byte[] bytes(int n, int fill) {
    byte[] b = new byte[n];
    java.util.Arrays.fill(b, (byte) fill);
    return b;
  }

  @Test
  void identicalStatesMatchAndDifferencesAreNamed() {
    FsState a = file(bytes(20, 1), Collections.emptySortedMap());
    assertTrue(StateDiff.matches(a, a, null, null));
    byte[] c = bytes(20, 1);
    c[9] = 7;
    List<String> d = StateDiff.diff(file(c, Collections.emptySortedMap()), a, null, null, 5);
    assertEquals(1, d.size());
    assertTrue(d.get(0).startsWith("/f: contents differ in 1 of 3 words, first at offset 8"),
        d.get(0));
    d = StateDiff.diff(file(bytes(21, 1), Collections.emptySortedMap()), a, null, null, 5);
    assertEquals(List.of("/f: size 21, expected 20"), d);
  }

  @Test
  void aPendingWordMayHoldAnyOfItsValuesAndNothingElse() {
    byte[] now = bytes(16, 2);
    TreeMap<Long, long[]> pending = new TreeMap<>();
    pending.put(1L, new long[] {StateDiff.word(bytes(16, 1), 1)});
    FsState expected = file(now, pending);
    byte[] old = bytes(16, 2);
    System.arraycopy(bytes(8, 1), 0, old, 8, 8);
    assertTrue(StateDiff.matches(file(old, Collections.emptySortedMap()), expected, null, null));
    byte[] oldWord0 = bytes(16, 2);
    System.arraycopy(bytes(8, 1), 0, oldWord0, 0, 8);
    assertFalse(StateDiff.matches(file(oldWord0, Collections.emptySortedMap()), expected, null,
        null), "word 0 has no pending value");
    byte[] torn = bytes(16, 2);
    torn[12] = 1;
    assertFalse(StateDiff.matches(file(torn, Collections.emptySortedMap()), expected, null,
        null), "an 8-byte word is all old or all new");
  }

  @Test
  void aTornWriteMayMixWordsOfTheStatesAroundItOnlyInItsRange() {
    FsState before = file(bytes(24, 1), Collections.emptySortedMap());
    FsState after = file(bytes(24, 2), Collections.emptySortedMap());
    byte[] mixed = bytes(24, 1);
    System.arraycopy(bytes(8, 2), 0, mixed, 8, 8);
    FsState seen = file(mixed, Collections.emptySortedMap());
    StateDiff.Tear tear = new StateDiff.Tear("f", new long[] {1, 2});
    assertTrue(StateDiff.matches(seen, before, after, tear));
    assertFalse(StateDiff.matches(seen, before, null, null));
    assertFalse(StateDiff.matches(seen, before, after, new StateDiff.Tear("f",
        new long[] {2, 3})));
    assertFalse(StateDiff.matches(seen, before, after, new StateDiff.Tear("g",
        new long[] {1, 2})));
  }

  @Test
  void aTornExtendingWriteComparesOnlyTheOldFilesBytes() {
    FsState before = file(bytes(9, 1), Collections.emptySortedMap());
    FsState after = file(bytes(20, 2), Collections.emptySortedMap());
    byte[] seen = bytes(9, 1);
    seen[8] = 2;
    StateDiff.Tear tear = new StateDiff.Tear("f", new long[] {1, 2});
    assertTrue(StateDiff.matches(file(seen, Collections.emptySortedMap()), before, after,
        tear));
  }

  @Test
  void missingAndExtraPathsAndTypes() {
    FsState a = file(bytes(1, 1), Collections.emptySortedMap());
    TreeMap<String, FsState.Entry> m = new TreeMap<>(a.entries());
    m.remove("f");
    FsState none = new FsState(m);
    assertEquals(List.of("/f is missing (expected a file)"),
        StateDiff.diff(none, a, null, null, 5));
    assertEquals(List.of("/f exists (a file), expected nothing there"),
        StateDiff.diff(a, none, null, null, 5));
  }
}
