package dev.pgbroadcaster.web;

import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import dev.pgbroadcaster.Broadcasting;
import dev.pgbroadcaster.ChangeNotification;
import dev.pgbroadcaster.EventStreamAuthorization;
import dev.pgbroadcaster.RawNotification;
import dev.pgbroadcaster.web.SseClient.SseEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.userdetails.MapReactiveUserDetailsService;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.web.server.SecurityWebFilterChain;

import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The WebFlux endpoint behind the application's {@link SecurityWebFilterChain}, and an
 * {@link EventStreamAuthorization} that gets the exchange's {@link Authentication} and keeps each tenant to its own
 * notifications: a tenant's changes are in a schema named after it.
 */
class WebFluxEventStreamAuthorizationTests {

    private static final String CHANNEL = Broadcasting.channel();

    private static ConfigurableApplicationContext context;

    @BeforeAll
    static void start() {
        context = EventStreamApplication.startReactive(Secured.class, "pg.broadcaster.channel=" + CHANNEL,
                "pg.broadcaster.web.channels=" + CHANNEL);
    }

    @AfterAll
    static void stop() {
        context.close();
    }

    @Test
    void aClientThatIsNotAuthenticatedGets401() {
        try (SseClient client = SseClient.open(EventStreamApplication.events(context, ""))) {
            assertThat(client.status()).isEqualTo(401);
        }
        assertThat(context.getBean(EventStreamHub.class).clients()).isZero();
    }

    @Test
    void aClientThatMayNotConnectGets403WithTheHubsText() throws InterruptedException {
        try (SseClient client = SseClient.open(EventStreamApplication.events(context, ""), basic("carol"))) {
            assertThat(client.status()).isEqualTo(403);
            assertThat(client.refusal()).contains("This event stream is not open to you.");
        }
    }

    @Test
    void eachTenantSeesItsOwnNotificationsOnly() {
        try (SseClient alice = SseClient.open(EventStreamApplication.events(context, ""), basic("alice"));
                SseClient bob = SseClient.open(EventStreamApplication.events(context, ""), basic("bob"))) {
            assertThat(alice.status()).isEqualTo(200);
            assertThat(bob.status()).isEqualTo(200);
            for (int i = 0; i < 5; i++) {
                send(CHANNEL, new ChangeNotification("alice", "orders_" + i, "INSERT"));
                send(CHANNEL, new ChangeNotification("bob", "orders_" + i, "INSERT"));
            }
            send(CHANNEL, new ChangeNotification("alice", "last", "INSERT"));
            send(CHANNEL, new ChangeNotification("bob", "last", "INSERT"));
            assertThat(alice.upTo(CHANNEL, new ChangeNotification("alice", "last", "INSERT").toString()))
                .hasSize(6)
                .extracting(SseEvent::data)
                .allMatch((data) -> data.contains("\"schema\":\"alice\""));
            assertThat(bob.upTo(CHANNEL, new ChangeNotification("bob", "last", "INSERT").toString()))
                .hasSize(6)
                .extracting(SseEvent::data)
                .allMatch((data) -> data.contains("\"schema\":\"bob\""));
        }
        assertThat(context.getBean(EventStreamHub.class).dropped()).isZero();
    }

    private static String[] basic(String user) {
        return new String[] { "Authorization", "Basic "
                + Base64.getEncoder().encodeToString((user + ":secret").getBytes(StandardCharsets.UTF_8)) };
    }

    @SpringBootConfiguration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class Secured {

        @Bean
        SecurityWebFilterChain authenticated(ServerHttpSecurity http) {
            return http.authorizeExchange((exchanges) -> exchanges.anyExchange().authenticated())
                .httpBasic(Customizer.withDefaults())
                .build();
        }

        @Bean
        MapReactiveUserDetailsService users() {
            return new MapReactiveUserDetailsService(List.of("alice", "bob", "carol")
                .stream()
                .map((name) -> User.withUsername(name).password("{noop}secret").roles("USER").build())
                .toList());
        }

        @Bean
        EventStreamAuthorization tenants() {
            return new EventStreamAuthorization() {

                @Override
                public boolean mayConnect(Principal principal, Map<String, List<String>> parameters) {
                    return principal instanceof Authentication authentication && !authentication.getName().equals("carol");
                }

                @Override
                public boolean maySee(Principal principal, RawNotification notification, Object decoded) {
                    return decoded instanceof ChangeNotification change && change.schema().equals(principal.getName());
                }

            };
        }

    }

}
