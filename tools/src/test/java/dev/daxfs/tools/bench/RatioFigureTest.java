package dev.daxfs.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.daxfs.tools.bench.RatioFigure.Bound;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which ratios of a suite's report are figures, and the target each one gets. */
class RatioFigureTest {

  private static JsonNode json(String s) throws Exception {
    return new ObjectMapper().readTree(s.replace('\'', '"'));
  }

  @Test
  void fsFloorsComeFromItsTargetsAndChecksumRatiosOnlyAgainstDaxfs() throws Exception {
    List<RatioFigure> f = RatioFigure.of("fs", json("{'suite':'fs',"
        + "'rand_read_4k_ratio_vs_raw':0.6, 'rand_read_4k_ratio_vs_tmpfs':3.1,"
        + "'rand_read_4k_crc_ratio_vs_raw':0.5, 'rand_read_4k_crc_ratio_vs_daxfs':0.9,"
        + "'spread':{'rand_read_4k_ratio_vs_raw':[0.5,0.7]},"
        + "'targets':[{'figure':'rand_read_4k_ratio_vs_raw','value':0.6,'at_least':0.7}]}"));
    assertEquals(List.of(
        new RatioFigure("fs", "rand_read_4k_ratio_vs_raw", 0.6, Bound.AT_LEAST, 0.7),
        new RatioFigure("fs", "rand_read_4k_ratio_vs_tmpfs", 3.1, Bound.NONE, 1.0),
        new RatioFigure("fs", "rand_read_4k_crc_ratio_vs_daxfs", 0.9, Bound.NONE, 1.0)), f);
    assertFalse(f.get(0).met());
    assertTrue(f.get(1).met(), "no target: nothing to miss");
    assertEquals("rand_read_4k vs raw", f.get(0).label());
    assertEquals(">= 0.7", f.get(0).targetText());
    assertEquals("", f.get(1).targetText());
  }

  @Test
  void gupCeilingPmemFloorFuseFloorAgainstItsPeer() throws Exception {
    RatioFigure pin = RatioFigure.of("gup",
        json("{'pin_ratio_vs_atomic':1.9,'pin_ratio_target':2.0}")).get(0);
    assertEquals(new RatioFigure("gup", "pin_ratio_vs_atomic", 1.9, Bound.AT_MOST, 2.0), pin);
    assertTrue(pin.met());
    assertFalse(RatioFigure.of("gup", json("{'pin_ratio_vs_atomic':2.1,'pin_ratio_target':2}"))
        .get(0).met());
    assertEquals(List.of(
            new RatioFigure("pmem", "write_ratio_vs_raw", 0.95, Bound.AT_LEAST, 0.9),
            new RatioFigure("pmem", "read_ratio_vs_raw", 0.85, Bound.AT_LEAST, 0.9)),
        RatioFigure.of("pmem", json("{'write_ratio_vs_raw':0.95,'read_ratio_vs_raw':0.85,"
            + "'ratio_target':0.9}")));
    assertEquals(List.of(
            new RatioFigure("fuse", "seq_read_ratio_vs_bindfs", 1.2, Bound.AT_LEAST, 1.0),
            new RatioFigure("fuse", "seq_read_ratio_vs_shm", 0.3, Bound.NONE, 1.0)),
        RatioFigure.of("fuse", json("{'seq_read_ratio_vs_bindfs':1.2,"
            + "'seq_read_ratio_vs_shm':0.3,'date':'x'}")));
  }

  @Test
  void listsAndTextAreNotFigures() throws Exception {
    assertEquals(List.of(new RatioFigure("fsync", "wait_fsync_p50_ratio_vs_baseline", 1.1,
            Bound.NONE, 1.0)),
        RatioFigure.of("fsync", json("{'wait_fsync_p50_ratio_vs_baseline':1.1,"
            + "'wait_fsync_p50_ratio_vs_baseline_rounds':[1.0,1.2],"
            + "'ratio_statistic':'text_ratio_vs_text'}")));
  }

  @Test
  void aFigureWithoutTargetIsDrawnAtParity() {
    assertThrows(IllegalArgumentException.class,
        () -> new RatioFigure("x", "a_ratio_vs_b", 1, Bound.NONE, 0.5));
  }
}
