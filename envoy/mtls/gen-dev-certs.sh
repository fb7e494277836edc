#!/bin/sh
# Throwaway certificates for trying envoy/mtls/envoy.yaml: a CA, a server certificate for
# residency-gate and a client certificate for Envoy. For development and tests only: the keys are
# unencrypted, the CA lives next to them, and nothing here is rotated or revoked. In production use
# your PKI (cert-manager, Vault, SPIFFE, ...) and keep the CA key elsewhere.
#
# Usage: sh envoy/mtls/gen-dev-certs.sh DIR [SERVER_NAME]
#   DIR          where to write ca.crt, residency-gate.{crt,key}, envoy-client.{crt,key}
#   SERVER_NAME  the DNS name Envoy expects in residency-gate's certificate (SNI and SAN check);
#                default residency-gate.internal, as in envoy/mtls/envoy.yaml
# Needs openssl 1.1.1 or later.
set -eu

dir=${1:?usage: gen-dev-certs.sh DIR [SERVER_NAME]}
name=${2:-residency-gate.internal}
days=30
mkdir -p "$dir"
cd "$dir"
umask 077

ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# The CA that both sides trust.
ec ca.key
openssl req -x509 -new -key ca.key -sha256 -days "$days" -subj "/CN=residency-gate dev CA" \
  -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out ca.crt

# residency-gate's server certificate: Envoy checks the SAN against SERVER_NAME.
ec residency-gate.key
openssl req -new -key residency-gate.key -subj "/CN=$name" -out residency-gate.csr
printf 'subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' "$name" > server.ext
openssl x509 -req -in residency-gate.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days "$days" \
  -sha256 -extfile server.ext -out residency-gate.crt 2>/dev/null

# Envoy's client certificate: residency-gate checks it against the same CA.
ec envoy-client.key
openssl req -new -key envoy-client.key -subj "/CN=envoy" -out envoy-client.csr
printf 'subjectAltName=DNS:envoy\nextendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n' > client.ext
openssl x509 -req -in envoy-client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days "$days" \
  -sha256 -extfile client.ext -out envoy-client.crt 2>/dev/null

rm -f ./*.csr ./*.ext ca.srl
chmod 644 ca.crt residency-gate.crt envoy-client.crt
echo "wrote $(pwd): ca.crt ca.key residency-gate.crt residency-gate.key envoy-client.crt envoy-client.key"
