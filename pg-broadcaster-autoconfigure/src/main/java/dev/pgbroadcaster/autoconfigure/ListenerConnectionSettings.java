package dev.pgbroadcaster.autoconfigure;

import java.lang.reflect.Method;
import java.util.function.Supplier;

import dev.pgbroadcaster.listening.JdbcListenerConnectionFactory;
import dev.pgbroadcaster.support.Redaction;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;
import org.springframework.util.StringUtils;

/**
 * Works out where the listener connects: {@code pg.broadcaster.*} first, then the application's JDBC
 * connection details (which carry service connections such as Testcontainers' {@code @ServiceConnection}),
 * then the {@code spring.datasource.*} properties.
 */
final class ListenerConnectionSettings {

    // JdbcConnectionDetails moved in Spring Boot 4, so it is reached by name in either place.
    private static final String[] JDBC_CONNECTION_DETAILS = {
            "org.springframework.boot.autoconfigure.jdbc.JdbcConnectionDetails",
            "org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails" };

    private ListenerConnectionSettings() {
    }

    static JdbcListenerConnectionFactory connectionFactory(PgBroadcasterProperties properties,
            ListableBeanFactory beanFactory, Environment environment) {
        Source fallback = applicationSource(beanFactory, environment);
        String url = properties.getUrl();
        String urlProperty = "pg.broadcaster.url";
        if (!StringUtils.hasText(url)) {
            url = fallback.url().get();
            urlProperty = "spring.datasource.url";
        }
        if (!StringUtils.hasText(url)) {
            throw new InvalidBroadcasterPropertyException("pg.broadcaster.url",
                    "is not set, and there is no spring.datasource.url or JDBC service connection to fall back on. "
                            + "Set one of them to a jdbc:postgresql: URL.");
        }
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new InvalidBroadcasterPropertyException(urlProperty, "must be a jdbc:postgresql: URL, but is '"
                    + Redaction.url(url) + "'. Set pg.broadcaster.url to the PostgreSQL server to listen on.");
        }
        String username = StringUtils.hasText(properties.getUsername()) ? properties.getUsername() : fallback.username().get();
        String password = (properties.getPassword() != null) ? properties.getPassword() : fallback.password().get();
        String applicationName = properties.getApplicationName();
        if (!StringUtils.hasText(applicationName)) {
            throw new InvalidBroadcasterPropertyException("pg.broadcaster.application-name", "must not be blank");
        }
        return new JdbcListenerConnectionFactory(url, username, password, applicationName,
                properties.isLowLatencySocket());
    }

    private static Source applicationSource(ListableBeanFactory beanFactory, Environment environment) {
        ClassLoader classLoader = ListenerConnectionSettings.class.getClassLoader();
        for (String typeName : JDBC_CONNECTION_DETAILS) {
            if (ClassUtils.isPresent(typeName, classLoader)) {
                Class<?> type = ClassUtils.resolveClassName(typeName, classLoader);
                Object details = beanFactory.getBeanProvider(type).getIfUnique();
                if (details != null) {
                    return new Source(() -> read(details, type, "getJdbcUrl"), () -> read(details, type, "getUsername"),
                            () -> read(details, type, "getPassword"));
                }
            }
        }
        return new Source(() -> environment.getProperty("spring.datasource.url"),
                () -> environment.getProperty("spring.datasource.username"),
                () -> environment.getProperty("spring.datasource.password"));
    }

    private static String read(Object details, Class<?> type, String getter) {
        Method method = ReflectionUtils.findMethod(type, getter);
        try {
            return (method != null) ? (String) method.invoke(details) : null;
        }
        catch (ReflectiveOperationException | RuntimeException ex) {
            // Boot throws here when it cannot work out a URL; that is the same as having none.
            return null;
        }
    }

    private record Source(Supplier<String> url, Supplier<String> username, Supplier<String> password) {

    }

}
