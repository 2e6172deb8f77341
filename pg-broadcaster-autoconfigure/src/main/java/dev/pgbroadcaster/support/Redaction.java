package dev.pgbroadcaster.support;

import java.sql.SQLException;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;


/**
 * Keeps secrets out of what the broadcaster logs, throws and publishes. The driver quotes the whole URL in some
 * messages (for example "Unable to parse URL ..."), and a URL may carry a password as a parameter, so every
 * message taken from an exception passes through here before it is shown.
 */
public final class Redaction {

    private static final Pattern JDBC_URL = Pattern.compile("jdbc:postgresql:[^\\s'\"]*");

    private static final Pattern SECRET_PARAMETER = Pattern.compile("(?i)\\b(\\w*password)=([^&\\s;,'\"]*)");

    private static final Pattern URI_USER_INFO = Pattern.compile("(?i)\\b(postgres(?:ql)?://)[^@/\\s]*@");

    private Redaction() {
    }

    /**
     * Returns {@code text} without URL parameters, user information or {@code ...password=} values.
     */
    public static String text(String text) {
        if (text == null) {
            return null;
        }
        Matcher urls = JDBC_URL.matcher(text);
        StringBuilder redacted = new StringBuilder();
        while (urls.find()) {
            urls.appendReplacement(redacted, Matcher.quoteReplacement(url(urls.group())));
        }
        urls.appendTail(redacted);
        String result = SECRET_PARAMETER.matcher(redacted).replaceAll("$1=******");
        return URI_USER_INFO.matcher(result).replaceAll("$1");
    }

    /**
     * Returns the URL without its parameters or user information, which may carry a password.
     */
    public static String url(String url) {
        if (url == null) {
            return "null";
        }
        int parameters = url.indexOf('?');
        String withoutParameters = parameters >= 0 ? url.substring(0, parameters) : url;
        int userInfo = withoutParameters.indexOf('@');
        if (userInfo >= 0 && withoutParameters.startsWith("jdbc:postgresql://")) {
            withoutParameters = "jdbc:postgresql://" + withoutParameters.substring(userInfo + 1);
        }
        return withoutParameters;
    }

    /**
     * Returns the message of {@code ex}, redacted.
     */
    public static String message(Throwable ex) {
        String message = text(ex.getMessage());
        return (message != null) ? message : ex.getClass().getName();
    }

    /**
     * Returns {@code ex} itself when no message in its chain of causes holds anything to redact, otherwise a copy
     * of the chain with redacted messages and the original stack traces. A copy of an {@link SQLException} is an
     * {@code SQLException} with the same SQL state and error code.
     */
    public static Throwable exception(Throwable ex) {
        if (ex == null || isClean(ex)) {
            return ex;
        }
        Throwable cause = exception(ex.getCause());
        Throwable copy = (ex instanceof SQLException sql)
                ? new SQLException(message(ex), sql.getSQLState(), sql.getErrorCode(), cause)
                : new RedactedException(ex.getClass().getName() + ": " + message(ex), cause);
        copy.setStackTrace(ex.getStackTrace());
        return copy;
    }

    private static boolean isClean(Throwable ex) {
        for (Throwable each = ex; each != null; each = each.getCause()) {
            if (!Objects.equals(each.getMessage(), text(each.getMessage()))) {
                return false;
            }
            if (each.getCause() == each) {
                break;
            }
        }
        return true;
    }

    /**
     * Stands for an exception whose message had to be redacted; its message starts with the original type.
     */
    static final class RedactedException extends RuntimeException {

        RedactedException(String message, Throwable cause) {
            super(message, cause);
        }

    }

}
