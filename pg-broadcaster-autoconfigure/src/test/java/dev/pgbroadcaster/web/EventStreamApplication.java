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
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;

/**
 * A web application on a real Tomcat (a random port), with the starter pointed at the test database and the event
 * stream on. Spring Security is on the test classpath, so this one lets every request through; the authorization
 * tests bring their own chain.
 */
final class EventStreamApplication {

    private EventStreamApplication() {
    }

    static ConfigurableApplicationContext start(Class<?> configuration, String... properties) {
        List<String> all = new ArrayList<>(Arrays.asList(TestDatabase.get().datasourceProperties()));
        all.addAll(List.of("server.port=0", "pg.broadcaster.web.enabled=true", "spring.main.banner-mode=off",
                "management.endpoint.health.show-details=always"));
        all.addAll(Arrays.asList(properties));
        return new SpringApplicationBuilder(configuration).web(WebApplicationType.SERVLET)
            .properties(all.toArray(new String[0]))
            .run();
    }

    static URI uri(ConfigurableApplicationContext context, String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port") + pathAndQuery);
    }

    static URI events(ConfigurableApplicationContext context, String query) {
        return uri(context, "/pg-broadcaster/events" + (query.isEmpty() ? "" : "?" + query));
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
