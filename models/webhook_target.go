package models

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// An endpoint's URL is fetched by the server, so in production it must
// not reach the server's own network (SSRF): loopback, private, link-local
// (cloud metadata at 169.254.169.254), unspecified, multicast and the
// carrier-grade NAT range are refused. The check runs twice: when the URL
// is registered, for a clear message, and on every dial, against the
// address actually connected to, so a name that later resolves elsewhere
// (DNS rebinding) gets nowhere.

var sharedAddressSpace = &net.IPNet{IP: net.IPv4(100, 64, 0, 0), Mask: net.CIDRMask(10, 32)}

// internalIP reports whether ip is an address webhooks must not reach in
// production. IPv4-mapped IPv6 addresses count as their IPv4 address.
func internalIP(ip net.IP) bool {
	return ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsUnspecified() || ip.IsMulticast() || sharedAddressSpace.Contains(ip) ||
		(ip.To4() != nil && ip.To4()[0] == 0)
}

const internalTargetMessage = "This address is on a private or local network, which webhooks cannot reach. Use a public https URL."

// lookupTimeout bounds the DNS lookup of a URL being registered.
const lookupTimeout = 3 * time.Second

// checkWebhookURL returns why raw cannot be an endpoint, or "".
func checkWebhookURL(raw string, targets WebhookTargets) string {
	if raw == "" {
		return "Enter the URL to send events to, like https://shop.example.com/hooks/regulars."
	}
	if utf8.RuneCountInString(raw) > maxWebhookURL {
		return fmt.Sprintf("Use a URL of at most %d characters.", maxWebhookURL)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Opaque != "" {
		return "Enter a full http or https URL, like https://shop.example.com/hooks/regulars."
	}
	if u.User != nil {
		return "Leave the user name and password out of the URL; the signature proves who is calling."
	}
	if targets.AllowPrivate {
		return ""
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); ip != nil {
		if internalIP(ip) {
			return internalTargetMessage
		}
		return ""
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return internalTargetMessage
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil || len(addrs) == 0 {
		return "No server answers to " + host + "; check the address."
	}
	for _, a := range addrs {
		if internalIP(a.IP) {
			return internalTargetMessage
		}
	}
	return ""
}

var errInternalTarget = errors.New("refused: the address is on a private or local network")

// guardDial is a net.Dialer Control that refuses internal addresses; it
// sees the IP being connected to, after any DNS resolution.
func guardDial(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("webhook dial %s: %w", address, err)
	}
	if internalIP(net.ParseIP(host)) {
		return errInternalTarget
	}
	return nil
}
