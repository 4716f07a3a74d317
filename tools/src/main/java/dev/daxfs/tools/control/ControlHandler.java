package dev.daxfs.tools.control;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Serves one kind of control request ({@code "op"}). Runs on the session's thread; may block
 * (a lease request returns once the lease is held, and the lease lives on with the session).
 */
@FunctionalInterface
public interface ControlHandler {
  /**
   * Answers {@code request} (the whole request object, arguments included) with a result that
   * Jackson can write (a map, a record, a list, a number), or fails with a sentence.
   */
  Object handle(ControlSession session, JsonNode request) throws ControlException;
}
