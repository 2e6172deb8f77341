package dev.pgbroadcaster.support;

/**
 * Where a thread is, in a few words for a log line: the call it waits in (or works in), and the code that called
 * it, up to the listener or callback that pg-broadcaster called, such as
 * {@code in java.util.concurrent.CountDownLatch.await(CountDownLatch.java:230), called from com.example.OrderCache.on(OrderCache.java:42)}.
 */
public final class StackExcerpt {

    private StackExcerpt() {
    }

    /**
     * Describes where {@code thread} is: the frame of the JDK that the application's code entered last (or that
     * code's own frame, when it is not in the JDK), the frame of that code, and the frame of the listener or callback
     * itself: the one just above Spring's event multicasting or pg-broadcaster's dispatch, reflection and lambda
     * frames left out. Reading a stack pauses the JVM briefly, so this is for rare occasions.
     */
    public static String of(Thread thread) {
        StackTraceElement[] stack = thread.getStackTrace();
        if (stack.length == 0) {
            return "no stack available";
        }
        int caller = stack.length - 1;
        for (int i = 0; i < stack.length; i++) {
            if (isDeliveryMachinery(stack[i].getClassName())) {
                caller = i - 1;
                break;
            }
        }
        while (caller > 0 && isPlumbing(stack[caller].getClassName())) {
            caller--;
        }
        caller = Math.max(0, caller);
        int code = 0;
        while (code < caller && isJdk(stack[code].getClassName())) {
            code++;
        }
        int entered = (code > 0 && !isJdk(stack[code].getClassName())) ? code - 1 : code;
        StringBuilder text = new StringBuilder("in ").append(frame(stack[entered]));
        if (code > entered && code < caller) {
            text.append(" from ").append(frame(stack[code]));
        }
        if (caller > entered) {
            text.append(", called from ").append(frame(stack[caller]));
        }
        return text.toString();
    }

    private static String frame(StackTraceElement frame) {
        String where;
        if (frame.isNativeMethod()) {
            where = "Native Method";
        }
        else if (frame.getFileName() == null) {
            where = "Unknown Source";
        }
        else {
            where = frame.getFileName() + ((frame.getLineNumber() >= 0) ? ":" + frame.getLineNumber() : "");
        }
        return frame.getClassName() + "." + frame.getMethodName() + "(" + where + ")";
    }

    private static boolean isDeliveryMachinery(String className) {
        return className.startsWith("org.springframework.context.event.") || className.startsWith("dev.pgbroadcaster.dispatch.");
    }

    private static boolean isPlumbing(String className) {
        return className.startsWith("java.lang.reflect.") || className.startsWith("jdk.internal.reflect.")
                || className.startsWith("java.lang.invoke.") || className.contains("$$Lambda");
    }

    private static boolean isJdk(String className) {
        return className.startsWith("java.") || className.startsWith("javax.") || className.startsWith("jdk.")
                || className.startsWith("sun.") || className.startsWith("com.sun.");
    }

}
