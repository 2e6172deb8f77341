package dev.pgbroadcaster.dispatch;

/**
 * Takes each delivered notification, and the connection events in order with them, after the application's
 * listeners and the subscribers have had them, on the dispatch thread: a stream to browsers, say. It must never
 * block: it only enqueues, into buffers of its own, and returns. One that throws is logged and changes nothing else.
 */
public interface NotificationSink {

    /**
     * Takes a notification that was delivered to the application.
     */
    void delivered(Notification notification);

    /**
     * Takes a {@code BroadcasterConnectedEvent} or a {@code BroadcasterDisconnectedEvent}, in order with the
     * notifications.
     */
    void connectionEvent(Object event);

}
