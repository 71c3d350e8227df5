#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

// Macros over SSL_ctrl and BIO_ctrl, which do not import into Swift.
static inline int copenssl_set_server_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

static inline int copenssl_set_minimum_tls12(SSL_CTX *context) {
    return (int)SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
}

// An empty memory BIO asks its reader to retry rather than reporting the end of the stream.
static inline void copenssl_bio_retry_when_empty(BIO *bio) {
    BIO_set_mem_eof_return(bio, -1);
}

// Library initialisation without reading the system's openssl.cnf: a plugin's behaviour does not
// depend on that file, and the static binary could not load the modules it may name.
static inline int copenssl_init(void) {
    return OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_LOAD_SSL_STRINGS
                            | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, NULL);
}

// A key protected by a passphrase must fail to load, never prompt on the terminal (a plugin's
// stdin is its configuration).
static inline int copenssl_no_passphrase(char *buffer, int size, int rwflag, void *user) {
    (void)buffer; (void)size; (void)rwflag; (void)user;
    return 0;
}

static inline void copenssl_refuse_passphrases(SSL_CTX *context) {
    SSL_CTX_set_default_passwd_cb(context, copenssl_no_passphrase);
}

// A peer that closes the socket without TLS's close_notify has closed the connection, as one that
// sends it has; what was read before is complete by HTTP's own framing.
static inline void copenssl_accept_unannounced_close(SSL_CTX *context) {
    SSL_CTX_set_options(context, SSL_OP_IGNORE_UNEXPECTED_EOF);
}
