package dev.daxfs.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A {@code daxfs bench} suite that {@code bench all} runs in process: with its options parsed
 * as for its own command line, it measures and returns the report its {@code --json} prints.
 */
interface BenchSuite {

  /**
   * Runs the suite once and returns its report as one JSON object.
   *
   * @throws IllegalArgumentException with one sentence when an option value is out of range
   */
  JsonNode report() throws Exception;
}
