/**
 * Small helpers every other package shares: channel names and identifier quoting, keeping secrets out of messages,
 * short forms of texts and of where a thread is for logs, throttled warnings, and the exception for a setting out of range. It depends on no
 * other package of pg-broadcaster.
 * <p>
 * Not API: may change in any release.
 */
package dev.pgbroadcaster.support;
