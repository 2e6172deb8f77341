/**
 * From decoded notifications to the application: one bounded queue (with the overflow policies) behind the dispatch
 * queue and every subscriber's queue, the threads that run them and count what shutting down left undelivered, and
 * the publishing of events to the application's listeners, one listener failure not stopping the others, and
 * what names a listener that does not return when the queue stays full.
 * <p>
 * Not API: public only so that the broadcaster can wire it.
 */
package dev.pgbroadcaster.dispatch;
