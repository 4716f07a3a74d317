package dev.daxfs.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The corruption fuzzer's judge is live: it passes an undamaged image, and it catches damage
 * that spreads beyond what a case declares, damage fsck misses, and a refusal fsck disagrees
 * with.
 */
class CorruptionFuzzOracleTest {

  private static FuzzImage clean;
  private static FuzzImage crashed;

  @BeforeAll
  static void images() {
    clean = FuzzImage.build(11, 16, false);
    crashed = FuzzImage.build(12, 16, true);
  }

  private static String join(List<String> bugs) {
    return bugs == null ? "not applied" : String.join("\n", bugs);
  }

  @Test
  void anUndamagedImagePasses() {
    for (FuzzImage img : new FuzzImage[] {clean, crashed}) {
      List<String> bugs = CorruptionFuzzProperties.check(img, (i, r, rnd) ->
          Corruptions.Damage.silent("nothing", Set.of()), 1);
      assertEquals(List.of(), bugs, img.toString());
    }
  }

  @Test
  void changedDataOfAFileTheDamageDoesNotInvolveIsCaught() {
    List<String> bugs = CorruptionFuzzProperties.check(clean, (img, r, rnd) -> {
      long ino = img.dataBlocks.keySet().stream().filter(i -> !img.dataBlocks.get(i).isEmpty())
          .findFirst().orElseThrow();
      long block = img.dataBlocks.get(ino).get(0);
      r.storeByte(Layout.offset(block), (byte) (r.loadByte(Layout.offset(block)) + 1));
      return Corruptions.Damage.silent("a data byte, not declared", Set.of());
    }, 2);
    assertTrue(join(bugs).contains("changed"), join(bugs));
  }

  @Test
  void damageFsckDoesNotSeeIsCaughtWhenAValidatorShouldHaveFired() {
    List<String> bugs = CorruptionFuzzProperties.check(crashed, (img, r, rnd) ->
        Corruptions.Damage.detect("nothing at all, claimed detectable", Set.of()), 3);
    assertTrue(join(bugs).contains("fsck finds nothing wrong"), join(bugs));
  }

  @Test
  void anInodeAnsweringEioThatTheDamageDoesNotInvolveIsCaught() {
    List<String> bugs = CorruptionFuzzProperties.check(crashed, (img, r, rnd) -> {
      long ino = img.ofType(Mode.S_IFREG).get(0);
      long entry = img.entries.get(ino).get(0).offset();
      r.storeByte(entry + 20, (byte) (r.loadByte(entry + 20) ^ 1));
      return Corruptions.Damage.silent("a log byte, not declared", Set.of());
    }, 4);
    assertTrue(join(bugs).contains("answers EIO though the damage does not involve it"),
        join(bugs));
  }

  @Test
  void aRefusalThatFsckAgreesWithPasses() {
    // Both superblocks damaged: the mount refuses with a CorruptionException and fsck agrees.
    List<String> bugs = CorruptionFuzzProperties.check(clean, (img, r, rnd) -> {
      r.storeLong(0, 0);
      r.storeLong(Layout.BLOCK, 0);
      return Corruptions.Damage.silent("both magics", Set.of());
    }, 5);
    assertEquals(List.of(), bugs, "a refusal that fsck agrees with is fine");
  }
}
