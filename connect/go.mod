module github.com/jwtgate/jwtgate/connect

go 1.26.0

require (
	connectrpc.com/connect v1.21.1
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/jwtgate/jwtgate v0.1.0
	github.com/stretchr/testify v1.12.1
	google.golang.org/protobuf v1.36.12
)

require (
	github.com/MicahParks/jwkset v0.11.4 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/time v0.9.0 // indirect
)

replace github.com/jwtgate/jwtgate => ../
