module github.com/jwtgate/jwtgate/grpc/bench

go 1.26.0

require (
	connectrpc.com/connect v1.21.1
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/grpc-ecosystem/go-grpc-middleware/v2 v2.3.4
	github.com/jwtgate/jwtgate v0.1.0
	github.com/jwtgate/jwtgate/connect v0.1.0
	github.com/jwtgate/jwtgate/grpc v0.1.0
	github.com/stretchr/testify v1.12.1
	google.golang.org/grpc v1.85.0
	google.golang.org/protobuf v1.36.12
)

require (
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.42.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260817212433-ac3dfec99bb1 // indirect
)

replace (
	github.com/jwtgate/jwtgate => ../../
	github.com/jwtgate/jwtgate/connect => ../../connect
	github.com/jwtgate/jwtgate/grpc => ../
)
