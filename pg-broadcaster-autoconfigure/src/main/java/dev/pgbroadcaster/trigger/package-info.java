/**
 * The shipped trigger function and its installer, which attaches a trigger per channel to the listed tables,
 * idempotently and under an advisory lock.
 * <p>
 * Not API: public only so that the auto-configuration can wire it. The SQL itself is a classpath resource for
 * migrations: {@code META-INF/pg-broadcaster/notify_table.sql}.
 */
package dev.pgbroadcaster.trigger;
