package dev.daxfs.tools.crash;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One crash state (or live run) that broke a promise.
 *
 * @param workload the workload's name
 * @param op 1-based index of the operation running at the crash (0: the mount before the
 *     first operation; one past the last: the end of the workload)
 * @param opText that operation, or what stood in for it ("mount", "end")
 * @param fence the fence the crash came just before (0 for the end of the workload, or for a
 *     live divergence)
 * @param image the crash image: the in-flight units it applies, as a hexadecimal bit mask
 * @param seed the seed the point's sampled images were drawn with
 * @param kind what went wrong: live, mount, read, state, follow-up, fsck, remount
 * @param detail the difference, in words
 * @param equivalent crash states shown to behave exactly as this one (it stands for them)
 */
public record Violation(String workload, int op, String opText, long fence, String image,
    long seed, String kind, String detail, BigInteger equivalent) {

  /** What {@code --replay} takes to check this state alone. */
  public String replayId() {
    if (kind.equals("live")) {
      return workload;
    }
    return workload + "@" + (fence == 0 ? "end" : Long.toString(fence)) + ":" + image;
  }

  /** One paragraph for a terminal, ending with the bare replay id. */
  public String describe() {
    return describe("--replay '" + replayId() + "'");
  }

  /** One paragraph for a terminal, ending with {@code replay} (a {@link ReplayCommand} line). */
  public String describe(String replay) {
    StringBuilder b = new StringBuilder();
    b.append(workload).append(": ").append(kind).append(" violation at op ").append(op)
        .append(" (").append(opText).append(")");
    if (!kind.equals("live")) {
      b.append(", ").append(fence == 0 ? "end of workload" : "before fence " + fence)
          .append(", image ").append(image);
    }
    b.append("\n    ").append(detail.replace("\n", "\n    "));
    b.append("\n    replay: ").append(replay);
    return b.toString();
  }

  /** For JSON. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("workload", workload);
    m.put("op", op);
    m.put("op_text", opText);
    m.put("fence", fence);
    m.put("image", image);
    m.put("seed", seed);
    m.put("kind", kind);
    m.put("detail", detail);
    m.put("equivalent_states", CrashChecker.fmt(equivalent));
    m.put("replay", replayId());
    return m;
  }
}
