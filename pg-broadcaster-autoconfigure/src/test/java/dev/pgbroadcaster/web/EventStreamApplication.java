package dev.pgbroadcaster.web;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.pgbroadcaster.testsupport.TestDatabase;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.server.SecurityWebFilterChain;

/**
 * A web application on a real Tomcat (a random port), or a WebFlux one on a real Netty, with the starter pointed at
 * the test database and the event stream on. Spring Security is on the test classpath, so these let every request
 * through; the authorization tests bring their own chain.
 */
final class EventStreamApplication {

    private EventStreamApplication() {
    }

    static ConfigurableApplicationContext start(Class<?> configuration, String... properties) {
        return start(WebApplicationType.SERVLET, configuration, properties);
    }

    /**
     * Starts a WebFlux application on a real Netty instead (Spring MVC and Tomcat being on the classpath too).
     */
    static ConfigurableApplicationContext startReactive(Class<?> configuration, String... properties) {
        return start(WebApplicationType.REACTIVE, configuration, properties);
    }

    private static ConfigurableApplicationContext start(WebApplicationType type, Class<?> configuration,
            String... properties) {
        List<String> all = new ArrayList<>(Arrays.asList(TestDatabase.get().datasourceProperties()));
        all.addAll(List.of("server.port=0", "pg.broadcaster.web.enabled=true", "spring.main.banner-mode=off",
                "management.endpoint.health.show-details=always"));
        all.addAll(Arrays.asList(properties));
        SpringApplicationBuilder application = new SpringApplicationBuilder(configuration).web(type)
            .properties(all.toArray(new String[0]));
        if (type == WebApplicationType.REACTIVE) {
            // With Tomcat on the classpath too, Spring Boot would serve WebFlux on Tomcat.
            application.initializers((context) -> ((GenericApplicationContext) context)
                .registerBean("nettyReactiveWebServerFactory", nettyServerFactory()));
        }
        return application.run();
    }

    // Its package differs between Spring Boot 3 and 4.
    private static Class<?> nettyServerFactory() {
        for (String name : List.of("org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory",
                "org.springframework.boot.web.embedded.netty.NettyReactiveWebServerFactory")) {
            try {
                return Class.forName(name, false, EventStreamApplication.class.getClassLoader());
            }
            catch (ClassNotFoundException ex) {
                // The other Spring Boot line.
            }
        }
        throw new IllegalStateException("No NettyReactiveWebServerFactory on the classpath");
    }

    /**
     * Returns the simple name of the application's web server's class ({@code NettyWebServer}, {@code TomcatWebServer}).
     */
    static String webServer(ConfigurableApplicationContext context) {
        try {
            Object server = context.getClass().getMethod("getWebServer").invoke(context);
            return server.getClass().getSimpleName();
        }
        catch (ReflectiveOperationException ex) {
            throw new IllegalStateException("Not a web server application context: " + context, ex);
        }
    }

    static URI uri(ConfigurableApplicationContext context, String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port") + pathAndQuery);
    }

    static URI events(ConfigurableApplicationContext context, String query) {
        return uri(context, "/pg-broadcaster/events" + (query.isEmpty() ? "" : "?" + query));
    }

    /**
     * The WebFlux application, open to every request.
     */
    @SpringBootConfiguration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class OpenReactive {

        @Bean
        SecurityWebFilterChain openToAll(ServerHttpSecurity http) {
            return http.authorizeExchange((exchanges) -> exchanges.anyExchange().permitAll()).build();
        }

    }

    /**
     * The application, open to every request.
     */
    @SpringBootConfiguration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class Open {

        @Bean
        SecurityFilterChain openToAll(HttpSecurity http) throws Exception {
            return http.authorizeHttpRequests((requests) -> requests.anyRequest().permitAll()).build();
        }

    }

}
