//! gRPC's health service (`grpc.health.v1`), which etcd registers on its
//! gRPC server; the gateway has no path to it.

use super::{enumeration, message, Enum, Str};

message! {
    HealthCheckRequest {
        service: Str = 1,
    }
}

enumeration! {
    /// `HealthCheckResponse.ServingStatus`.
    ServingStatus in serving_status = "grpc.health.v1.HealthCheckResponse.ServingStatus" {
        UNKNOWN = 0, SERVING = 1, NOT_SERVING = 2, SERVICE_UNKNOWN = 3,
    }
}

message! {
    HealthCheckResponse {
        status: Enum<ServingStatus> = 1,
    }
}
