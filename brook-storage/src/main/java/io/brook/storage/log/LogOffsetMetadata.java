package io.brook.storage.log;

/** An offset and where it sits in the files: the segment holding it and its byte position there. */
public record LogOffsetMetadata(long offset, long segmentBaseOffset, int position) {
}
