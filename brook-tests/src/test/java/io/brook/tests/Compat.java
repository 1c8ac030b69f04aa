package io.brook.tests;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What a test proves about a client nobody here wrote, as {@code "client: feature"} lines; the
 * outcome of the test becomes those cells of docs/compatibility.md (see {@link CompatMatrix}).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@interface Compat {
    String[] value();
}
