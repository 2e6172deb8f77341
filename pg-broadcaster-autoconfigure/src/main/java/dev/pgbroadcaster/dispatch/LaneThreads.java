package dev.pgbroadcaster.dispatch;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.core.task.VirtualThreadTaskExecutor;
import org.springframework.scheduling.concurrent.CustomizableThreadFactory;

/**
 * What kind of threads run a {@link Lane}: platform threads, or virtual ones when the application runs Spring Boot's
 * executors on virtual threads ({@code spring.threads.virtual.enabled=true}, Java 21 and later). Either way their names
 * are the lane's prefix followed by 1, 2, ..., so that logs read the same.
 */
public enum LaneThreads {

    /** Daemon platform threads. */
    PLATFORM {

        @Override
        ThreadFactory factory(String namePrefix) {
            CustomizableThreadFactory factory = new CustomizableThreadFactory(namePrefix);
            factory.setDaemon(true);
            return factory;
        }

    },

    /** Virtual threads (Java 21 and later), which are always daemon threads. */
    VIRTUAL {

        @Override
        ThreadFactory factory(String namePrefix) {
            ThreadFactory virtual = new VirtualThreadTaskExecutor(namePrefix).getVirtualThreadFactory();
            AtomicInteger count = new AtomicInteger();
            return (task) -> {
                Thread thread = virtual.newThread(task);
                thread.setName(namePrefix + count.incrementAndGet());
                return thread;
            };
        }

    };

    /**
     * Returns a factory of threads named {@code namePrefix} followed by 1, 2, ...
     */
    abstract ThreadFactory factory(String namePrefix);

}
