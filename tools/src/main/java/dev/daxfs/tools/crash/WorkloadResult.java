package dev.daxfs.tools.crash;

import java.math.BigInteger;
import java.util.List;

/**
 * What checking one workload found.
 *
 * @param workload its name
 * @param operations operations run (setup not counted)
 * @param fences fences the run made while recorded (from its mount on), each a crash point
 * @param points crash points checked (fences, and the end of the workload)
 * @param crashStates crash images mounted and checked
 * @param covered crash states covered: those checked and those shown to behave exactly as a
 *     checked one
 * @param total crash states the points offered
 * @param sampledPoints points whose images could not all be covered within the budget
 * @param violationCount crash states (or live runs) that broke a promise
 * @param violations the first of them, described
 * @param cpuNanos CPU time the check took
 */
public record WorkloadResult(String workload, int operations, long fences, long points,
    long crashStates, BigInteger covered, BigInteger total, long sampledPoints, long violationCount,
    List<Violation> violations, long cpuNanos) {}
