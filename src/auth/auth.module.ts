import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config.js';
import { User } from '../users/user.entity.js';
import { UsersModule } from '../users/users.module.js';
import { AccountSecurityService } from './account-security.service.js';
import { ApiKey } from './api-keys/api-key.entity.js';
import { ApiKeyGuard } from './api-keys/api-key.guard.js';
import { ApiKeysController } from './api-keys/api-keys.controller.js';
import { ApiKeysService } from './api-keys/api-keys.service.js';
import { AuthController } from './auth.controller.js';
import { AuthenticationGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { CredentialsService } from './credentials.service.js';
import { JwtStrategy } from './jwt.strategy.js';
import { LoginLimiter } from './login-limiter.js';
import { AccessTokensService } from './tokens/access-tokens.service.js';
import { ApiTokensService } from './tokens/api-tokens.service.js';
import { JWT_KEY, JwtKeyModule, jwtModuleOptions } from './tokens/jwt-key.js';
import { RefreshTokensService } from './tokens/refresh-tokens.service.js';
import { ApiToken, RefreshToken, RefreshTokenFamily } from './tokens/token-entities.js';

@Module({
  imports: [
    UsersModule,
    PassportModule,
    JwtKeyModule,
    JwtModule.registerAsync({
      imports: [JwtKeyModule],
      inject: [JWT_KEY, AppConfig],
      useFactory: jwtModuleOptions,
    }),
    TypeOrmModule.forFeature([User, RefreshTokenFamily, RefreshToken, ApiToken, ApiKey]),
  ],
  controllers: [AuthController, ApiKeysController],
  providers: [
    { provide: APP_GUARD, useClass: AuthenticationGuard },
    JwtStrategy,
    AccessTokensService,
    RefreshTokensService,
    ApiTokensService,
    LoginLimiter,
    CredentialsService,
    AuthService,
    AccountSecurityService,
    ApiKeysService,
    ApiKeyGuard,
  ],
  exports: [AuthService, AccountSecurityService, ApiKeysService, ApiKeyGuard, UsersModule],
})
export class AuthModule {}
