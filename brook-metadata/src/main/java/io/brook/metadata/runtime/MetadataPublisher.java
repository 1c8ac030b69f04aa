package io.brook.metadata.runtime;

import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.MetadataImage;

/**
 * Receives each committed change of the metadata: the delta (what changed since the previous
 * image) and the image it produced. Called on the controller thread, one change at a time, in
 * log order; a publisher should visit {@code delta}, not walk {@code image}.
 */
@FunctionalInterface
public interface MetadataPublisher {
    void onMetadataUpdate(MetadataDelta delta, MetadataImage image);
}
