#!/bin/sh
# Makes a throwaway PKI for the test API server in DIR (EC P-256, openssl):
#   ca.{crt,key}            the cluster CA
#   server.{crt,key}        API server cert from ca (localhost, 127.0.0.1, apiserver.test)
#   server-dns-only.{crt,key} the same, for apiserver.test only (not the address it listens on)
#   node1.{crt,key}         client cert from ca: CN=system:node:node1, O=system:nodes
#   node1-rotated.{crt,key} the same identity with a new key (kubelet rotation)
#   other.{crt,key}         client cert CN=system:node:other, O=system:nodes
#   rogue-ca.{crt,key}      an unrelated CA; rogue-server.{crt,key} a server cert from it
#   admin.{crt,key}         O=system:masters (real API server tier); sa.{key,pub} service-account keys
set -eu
DIR=$1
mkdir -p "$DIR"
cd "$DIR"
key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1.key" 2>/dev/null; }
ca() {
  key "$1"
  openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 2 -out "$1.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
leaf() {  # name subject issuer extensions
  key "$1"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
  printf '%s\n' "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial -days 2 \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
ca ca aim-test-ca
ca rogue-ca aim-rogue-ca
SERVER_EXT="subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:apiserver.test
extendedKeyUsage=serverAuth"
CLIENT_EXT="extendedKeyUsage=clientAuth"
leaf server "/CN=kube-apiserver" ca "$SERVER_EXT"
leaf server-dns-only "/CN=kube-apiserver" ca "subjectAltName=DNS:apiserver.test
extendedKeyUsage=serverAuth"
leaf rogue-server "/CN=kube-apiserver" rogue-ca "$SERVER_EXT"
leaf node1 "/O=system:nodes/CN=system:node:node1" ca "$CLIENT_EXT"
leaf node1-rotated "/O=system:nodes/CN=system:node:node1" ca "$CLIENT_EXT"
leaf other "/O=system:nodes/CN=system:node:other" ca "$CLIENT_EXT"
# For a real kube-apiserver: a cluster admin and the service-account keys.
leaf admin "/O=system:masters/CN=aim-admin" ca "$CLIENT_EXT"
openssl ecparam -name prime256v1 -genkey -noout -out sa.key 2>/dev/null
openssl ec -in sa.key -pubout -out sa.pub 2>/dev/null
# A client certificate for node1 that expired long ago (fault tests).
key node1-expired
openssl req -new -key node1-expired.key -subj "/O=system:nodes/CN=system:node:node1" -out node1-expired.csr 2>/dev/null
mkdir -p ca-db && : > ca-db/index.txt && echo 1000 > ca-db/serial
cat > ca-db/ca.cnf <<CNF
[ca]
default_ca = aim
[aim]
database = ca-db/index.txt
new_certs_dir = ca-db
serial = ca-db/serial
default_md = sha256
policy = any
[any]
commonName = supplied
organizationName = optional
CNF
openssl ca -batch -config ca-db/ca.cnf -cert ca.crt -keyfile ca.key -in node1-expired.csr \
  -out node1-expired.crt -startdate 20200101000000Z -enddate 20200102000000Z -notext 2>/dev/null
rm -f node1-expired.csr
