package dev.pgbroadcaster;

/**
 * A queued task that delivers a notification of one channel, so that a dropped task can be counted for it.
 */
interface ChannelTask extends Runnable {

    String channel();

    /**
     * Returns the channel of {@code task}, or {@code null} when it delivers no notification.
     */
    static String channelOf(Runnable task) {
        return (task instanceof ChannelTask channelTask) ? channelTask.channel() : null;
    }

}
