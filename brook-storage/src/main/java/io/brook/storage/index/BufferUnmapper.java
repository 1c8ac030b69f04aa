package io.brook.storage.index;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;

/**
 * Unmaps a memory-mapped buffer at once instead of when the garbage collector finds it: the JDK
 * has no public API for that in Java 17, so this calls {@code sun.misc.Unsafe.invokeCleaner} (module
 * {@code jdk.unsupported}, which Kafka uses for its indexes too). Without an explicit unmap, the
 * mappings of closed and deleted segments would hold address space and the space of deleted files
 * until a full GC.
 *
 * <p>The caller must guarantee that nothing reads or writes the buffer afterwards: any access to an
 * unmapped buffer crashes the JVM. {@link MappedIndex} does so with its remap lock.
 *
 * <p>Thread-safety: stateless after class initialization.
 */
final class BufferUnmapper {
    private static final Logger log = LoggerFactory.getLogger(BufferUnmapper.class);
    /** {@code Unsafe.invokeCleaner(ByteBuffer)} bound to the Unsafe instance; null when unavailable. */
    private static final MethodHandle INVOKE_CLEANER = lookupInvokeCleaner();

    private BufferUnmapper() {
    }

    private static MethodHandle lookupInvokeCleaner() {
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
            theUnsafe.setAccessible(true);
            return MethodHandles.lookup()
                    .findVirtual(unsafeClass, "invokeCleaner", MethodType.methodType(void.class, ByteBuffer.class))
                    .bindTo(theUnsafe.get(null));
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("Cannot unmap index files explicitly (sun.misc.Unsafe.invokeCleaner is not available: {}); "
                    + "their mappings go when the garbage collector finds them", e.toString());
            return null;
        }
    }

    /** Whether {@link #unmap} really unmaps (else it leaves the buffer to the garbage collector). */
    static boolean available() {
        return INVOKE_CLEANER != null;
    }

    /** Unmaps {@code buffer} now; it must not be touched again. */
    static void unmap(MappedByteBuffer buffer) {
        if (INVOKE_CLEANER == null) {
            return;
        }
        try {
            INVOKE_CLEANER.invokeExact((ByteBuffer) buffer);
        } catch (Throwable e) {
            throw new IllegalStateException("could not unmap an index buffer", e);
        }
    }
}
