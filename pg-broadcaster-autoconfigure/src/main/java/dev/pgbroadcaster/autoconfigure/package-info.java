/**
 * The auto-configurations, the {@code pg.broadcaster.*} properties and their mapping onto the broadcaster's
 * settings, and the failure analyzers: the only package that knows property names, besides the texts of log lines
 * and errors.
 * <p>
 * Not API, except that the auto-configuration classes may be named in {@code @ImportAutoConfiguration} and
 * {@code spring.autoconfigure.exclude}.
 */
package dev.pgbroadcaster.autoconfigure;
